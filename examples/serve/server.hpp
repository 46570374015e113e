#pragma once
// ModelServer: grove-serve's HTTP server as a class a test can start on a free port and stop.
// KServe / TF Serving V1 REST on cpp-httplib:
//   POST /v1/models/<name>:predict   {"instances": [...], "return_proba": false} -> {"predictions": [...]}
//   GET  /v1/models/<name>           metadata: name, ready, kind, task, features, classes, reload status
//   GET  /v1/models                  {"models": ["<name>"]}
//   GET  /healthz                    liveness: {"status": "alive"}
// Every error is a 4xx/5xx with {"error": "..."} and one log line. reload() swaps the model
// atomically; a file that fails to load (or would change the features clients send) is
// reported and the old model keeps serving.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <httplib.h>
// httplib.h includes <resolv.h>, whose macro _res is an identifier inside Eigen's product kernels;
// nothing here uses the resolver state.
#undef _res

#include <grove/core/parallel.hpp>
#include <grove/serving/load_model.hpp>
#include <grove/serving/row_encoder.hpp>

#include "json_api.hpp"
#include "latency.hpp"
#include "model_slot.hpp"

namespace serve {

/// Settings of a ModelServer (grove-serve's flags).
struct ServerOptions {
  std::string model_path;
  std::string host = "127.0.0.1";
  int port = 8080;             ///< 0: any free port (start() returns it)
  std::size_t threads = 32;    ///< HTTP worker threads: connections served at once
  std::string name = "model";  ///< the <name> in /v1/models/<name>
  std::size_t max_body_bytes = std::size_t{16} << 20;
  grove::data::UnseenCategory unseen_category = grove::data::UnseenCategory::Missing;
  bool allow_schema_change = false;  ///< reload a model whose features differ from the serving one
  std::vector<grove::serving::ModelKind> extra_kinds;  ///< model kinds beyond grove's own
};

/// The outcome of ModelServer::reload().
struct ReloadResult {
  bool ok = false;
  std::string message;  ///< what was loaded, or why the old model stays
};

/// ISO 8601 UTC time, for metadata.
inline std::string iso_time(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// `s` with control characters escaped (\x0a), so a client cannot forge log lines.
inline std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

class ModelServer {
public:
  using LogSink = std::function<void(const std::string&)>;

  /// Loads the model (FormatError if it cannot: a server never starts without one).
  ModelServer(ServerOptions options, LogSink log)
      : opt_(std::move(options)),
        log_(std::move(log)),
        slot_(load_model_file(opt_.model_path, opt_.extra_kinds, encoder_options(), 1)) {
    // Requests run in parallel on the HTTP threads; each prediction runs on its own thread.
    grove::set_num_threads(1);
    routes();
  }
  ModelServer(const ModelServer&) = delete;
  ModelServer& operator=(const ModelServer&) = delete;
  ~ModelServer() { stop(); }

  const ServerOptions& options() const noexcept { return opt_; }

  /// Binds host:port (port 0: a free one) and serves on a background thread; returns the port.
  /// Throws std::runtime_error when the address cannot be bound.
  int start() {
    const int port = opt_.port == 0 ? svr_.bind_to_any_port(opt_.host) : (svr_.bind_to_port(opt_.host, opt_.port) ? opt_.port : -1);
    if (port <= 0)
      throw std::runtime_error("cannot listen on " + opt_.host + ":" + std::to_string(opt_.port) +
                               " (in use, or not a local address)");
    port_ = port;
    listener_ = std::thread([this] { svr_.listen_after_bind(); });
    // stop() only takes effect once the server runs; wait for it (bounded) so stop() cannot be lost.
    for (int i = 0; i < 5000 && !svr_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return port_;
  }

  /// Stops accepting connections, lets requests in flight finish, joins the threads. Idempotent.
  void stop() {
    if (!listener_.joinable()) return;
    svr_.stop();
    listener_.join();
  }

  int port() const noexcept { return port_; }

  /// Loads the model file again. On success the new model answers every later request; on
  /// failure (unreadable, corrupted, another task or other features) the old one keeps serving
  /// and the failure is logged and shown in the metadata.
  ReloadResult reload() {
    std::lock_guard<std::mutex> lk(reload_mutex_);
    const std::shared_ptr<const LoadedModel> cur = slot_.get();
    ReloadResult r;
    try {
      auto next = load_model_file(opt_.model_path, opt_.extra_kinds, encoder_options(), cur->version + 1);
      const std::string why = incompatibility(*cur->model, *next->model);
      if (!why.empty() && !opt_.allow_schema_change)
        throw grove::FormatError("'" + opt_.model_path + "' is incompatible with the serving model: " + why +
                                 " (restart, or pass --allow-schema-change)");
      r.ok = true;
      r.message = "reloaded '" + opt_.model_path + "' (" + next->model->kind() + "), version " +
                  std::to_string(next->version);
      slot_.set(std::move(next));
      slot_.record(true, {});
    } catch (const std::exception& e) {
      r.message = std::string("reload failed, still serving version ") + std::to_string(cur->version) + ": " + e.what();
      slot_.record(false, e.what());
    }
    log_(printable(r.message));
    return r;
  }

  /// The requests, errors and latencies since the last call.
  LatencySummary take_stats() noexcept { return stats_.take(); }
  /// The model answering requests now.
  std::shared_ptr<const LoadedModel> current() const { return slot_.get(); }

private:
  grove::serving::RowEncoderOptions encoder_options() const {
    grove::serving::RowEncoderOptions o;
    o.unseen_category = opt_.unseen_category;
    return o;
  }

  // The request's start, stamped before routing on the thread that serves it.
  static std::chrono::steady_clock::time_point& request_start() {
    thread_local std::chrono::steady_clock::time_point t{};
    return t;
  }

  void fail(const httplib::Request& req, httplib::Response& res, int status, const std::string& message) {
    res.status = status;
    res.set_content(error_body(message), "application/json");
    log_(printable(std::to_string(status) + " " + req.method + " " + req.path + " from " + req.remote_addr + ": " + message));
  }

  /// The model called `name`, or a 404.
  std::shared_ptr<const LoadedModel> find_model(const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];
    if (name != opt_.name) {
      fail(req, res, 404, "model '" + shorten(name) + "' not found (this server serves '" + opt_.name + "')");
      return nullptr;
    }
    return slot_.get();
  }

  void routes() {
    svr_.new_task_queue = [n = opt_.threads] { return new httplib::ThreadPool(n); };
    svr_.set_payload_max_length(opt_.max_body_bytes);
    // Small answers on kept-alive connections: without TCP_NODELAY, Nagle's algorithm and the
    // client's delayed ACK hold each response back for tens of milliseconds.
    svr_.set_tcp_nodelay(true);
    svr_.set_keep_alive_max_count(100000);
    svr_.set_keep_alive_timeout(5);
    svr_.set_read_timeout(10);

    svr_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      request_start() = std::chrono::steady_clock::now();
      // cpp-httplib 0.11 reads a chunked or unsized body without its size limit: refuse both.
      if ((req.method == "POST" || req.method == "PUT" || req.method == "PATCH") && !req.has_header("Content-Length")) {
        fail(req, res, 411, "the request needs a Content-Length header (chunked bodies are not accepted)");
        res.set_header("Connection", "close");
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });

    svr_.Post(R"(/v1/models/([^/:]+):predict)", [this](const httplib::Request& req, httplib::Response& res) {
      const auto m = find_model(req, res);
      if (!m) return;
      try {
        const PredictRequest pr = parse_predict_request(req.body, *m->model, m->encoder);
        res.set_content(predict_response(*m->model, pr), "application/json");
      } catch (const RequestError& e) {
        fail(req, res, e.status(), e.what());
      }
    });
    svr_.Get(R"(/v1/models/([^/:]+))", [this](const httplib::Request& req, httplib::Response& res) {
      if (const auto m = find_model(req, res)) res.set_content(metadata(*m).dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
    });
    svr_.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(json{{"models", json::array({opt_.name})}}.dump(), "application/json");
    });
    svr_.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"status":"alive"})", "application/json");
    });
    // The right path with the wrong method is a 405, not a 404.
    svr_.Get(R"(/v1/models/([^/:]+):predict)", [this](const httplib::Request& req, httplib::Response& res) {
      fail(req, res, 405, "use POST for " + req.path);
    });
    for (const char* path : {R"(/v1/models/([^/:]+))", "/v1/models", "/healthz"})
      svr_.Post(path, [this](const httplib::Request& req, httplib::Response& res) {
        fail(req, res, 405, "use GET for " + req.path);
      });

    // Errors httplib produces itself (no route, body too large, unparsable request line) get a
    // JSON body and a log line here; the handlers above already filled theirs.
    svr_.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      std::string message;
      switch (res.status) {
        case 404: message = "no route for " + req.method + " " + shorten(req.path); break;
        case 413: message = "the request body exceeds the limit of " + std::to_string(opt_.max_body_bytes) + " bytes"; break;
        case 414: message = "the request URI is too long"; break;
        default: message = "bad request (" + std::to_string(res.status) + ")";
      }
      fail(req, res, res.status, message);
      return httplib::Server::HandlerResponse::Handled;
    }));
    svr_.set_exception_handler([this](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "unknown exception";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      fail(req, res, 500, "internal error: " + what);
    });
    // Called for every response just before it is written (so a client that has its answer
    // finds the request counted).
    svr_.set_post_routing_handler([this](const httplib::Request&, httplib::Response& res) {
      auto& t0 = request_start();
      if (t0 == std::chrono::steady_clock::time_point{}) {
        stats_.record_error_only();  // rejected before routing (bad request line, size)
        return;
      }
      stats_.record(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count(),
                    res.status >= 400);
      t0 = {};
    });
  }

  json metadata(const LoadedModel& m) const {
    json out{{"name", opt_.name},
             {"ready", true},
             {"kind", m.model->kind()},
             {"task", to_string(m.model->task())},
             {"version", m.version},
             {"path", m.path},
             {"loaded_at", iso_time(m.loaded_at)},
             {"schema_in_file", m.model->has_file_schema()}};
    out.update(schema_json(*m.model));
    const ReloadStatus st = slot_.status();
    if (st.attempts) {
      json r{{"ok", st.last_ok}, {"at", iso_time(st.last_attempt)}, {"attempts", st.attempts}, {"failures", st.failures}};
      if (!st.last_ok) r["error"] = st.last_error;
      out["last_reload"] = std::move(r);
    }
    return out;
  }

  ServerOptions opt_;
  LogSink log_;
  ModelSlot slot_;
  std::mutex reload_mutex_;
  LatencyHistogram stats_;
  httplib::Server svr_;
  std::thread listener_;
  int port_ = 0;
};

}  // namespace serve
