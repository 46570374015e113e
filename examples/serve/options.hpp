#pragma once
// Command-line options of grove-serve and its --help text.

#include <cstddef>
#include <string>

#include "cli.hpp"
#include "server.hpp"

namespace serve {

/// grove-serve's flags: the server's settings plus what the main loop does.
struct ServeOptions {
  ServerOptions server;
  double watch_seconds = 0;     ///< poll the model file every this many seconds and reload on change (0: off)
  double stats_seconds = 60;    ///< log a latency summary this often (0: only at exit)
  bool help = false;
};

inline const char* serve_help_text() {
  return R"(grove-serve: serve a grove model file over HTTP (KServe / TF Serving V1 REST).

Usage: grove-serve --model PATH [options]

  --model PATH             any model file grove writes: gradient boosting, random forest,
                           decision tree (classifier or regressor), a network saved with
                           grove::serving::save_network, or grove-pipeline's model.grove
  --host H                 address to listen on (default 127.0.0.1)
  --port P                 port (default 8080; 0 picks a free one, printed at start)
  --threads N              HTTP worker threads = connections served at once (default 32)
  --name NAME              the model's name in the URLs (default model)
  --max-body-bytes N       largest request body accepted (default 16777216); larger is a 413
  --unseen missing|error   a category the model never saw: a missing value (default, as
                           load_csv with a schema) or a 400 error
  --allow-schema-change    let a reload change the features (names, kinds, order) or the task
  --watch SECONDS          also reload when the model file changes (checked this often; 0 = off)
  --stats-interval SECONDS log a request/latency summary this often (default 60; 0 = at exit)
  --help                   this text

Endpoints
  POST /v1/models/NAME:predict  {"instances": [...], "return_proba": false}
        each instance is an object keyed by feature name ({"age": 41, "city": "Rome"}) or an
        array of values in feature order; null is a missing value; a key equal to the
        training target is ignored. Answer: {"predictions": [...]}: class names (or class
        indices when the model has no names) or numbers; with "return_proba": true also
        "probabilities" (one array per instance) and "classes" (their order).
  GET  /v1/models/NAME          metadata: name, ready, kind, task, path, version, features
                                (name, kind, categories), target, classes, last reload
  GET  /v1/models               {"models": ["NAME"]}
  GET  /healthz                 liveness: {"status": "alive"}
  Errors: 4xx (5xx for a server fault) with {"error": "..."} naming the problem; one log
  line each on stderr.

Signals
  SIGHUP reloads the model file. A file that cannot be loaded, or whose features differ from
  the serving model's (without --allow-schema-change), is logged and shown under
  "last_reload" in the metadata; the old model keeps serving. Requests in flight finish on
  the model they started with. SIGTERM / SIGINT stop the server cleanly (requests in flight
  are answered) and exit 0.

Example
  grove-serve --model out/model.grove --port 8080 &
  curl -s localhost:8080/v1/models/model:predict -d '{"instances": [{"x0": 1.5, "x1": "a"}]}'
)";
}

inline ServeOptions parse_serve_options(int argc, char** argv) {
  ServeOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError(a + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      o.help = true;
    } else if (a == "--model") {
      o.server.model_path = value();
    } else if (a == "--host") {
      o.server.host = value();
    } else if (a == "--port") {
      o.server.port = static_cast<int>(parse_count(a, value(), 0, 65535));
    } else if (a == "--threads") {
      o.server.threads = parse_count(a, value(), 1, 1024);
    } else if (a == "--name") {
      o.server.name = value();
      if (o.server.name.empty() || o.server.name.find_first_of("/:") != std::string::npos)
        throw UsageError("--name must be non-empty without '/' or ':', got '" + o.server.name + "'");
    } else if (a == "--max-body-bytes") {
      o.server.max_body_bytes = parse_count(a, value(), 64, std::size_t{1} << 32);
    } else if (a == "--unseen") {
      const std::string v = value();
      if (v == "missing") o.server.unseen_category = grove::data::UnseenCategory::Missing;
      else if (v == "error") o.server.unseen_category = grove::data::UnseenCategory::Error;
      else throw UsageError("--unseen expects missing or error, got '" + v + "'");
    } else if (a == "--allow-schema-change") {
      o.server.allow_schema_change = true;
    } else if (a == "--watch") {
      o.watch_seconds = parse_seconds(a, value());
    } else if (a == "--stats-interval") {
      o.stats_seconds = parse_seconds(a, value());
    } else {
      throw UsageError("unknown option '" + a + "' (see --help)");
    }
  }
  if (!o.help && o.server.model_path.empty()) throw UsageError("--model PATH is required (see --help)");
  return o;
}

}  // namespace serve
