// grove-serve over HTTP: the server class (examples/serve/server.hpp) started in-process on a
// free 127.0.0.1 port, every endpoint, every bad-request class with its pinned message and one
// log line, reloads (good, broken, incompatible, under load), and the real grove-serve program
// (flags, start, SIGHUP with a broken file, SIGTERM). Bounded: every client has a timeout.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "grove/data/dataset.hpp"
#include "grove/serving.hpp"
#include "grove/trees.hpp"

#include "serve/server.hpp"
#include "test_serve_fixtures.hpp"

using serve::json;
namespace fs = std::filesystem;

extern char** environ;

namespace {

fs::path dir() { return serve_test::tmp_dir("serve_http"); }

/// Log lines a server wrote, collected for checks.
struct Log {
  std::mutex m;
  std::vector<std::string> lines;
  serve::ModelServer::LogSink sink() {
    return [this](const std::string& s) {
      std::lock_guard<std::mutex> lk(m);
      lines.push_back(s);
    };
  }
  std::vector<std::string> take() {
    std::lock_guard<std::mutex> lk(m);
    return std::exchange(lines, {});
  }
};

/// A server on a free port, stopped when the test ends.
struct Running {
  Log log;
  std::unique_ptr<serve::ModelServer> server;
  int port = 0;

  explicit Running(serve::ServerOptions o) {
    o.host = "127.0.0.1";
    o.port = 0;
    o.threads = 8;
    server = std::make_unique<serve::ModelServer>(std::move(o), log.sink());
    port = server->start();
  }
  ~Running() { server->stop(); }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(5);
    c.set_read_timeout(10);
    c.set_write_timeout(10);
    return c;
  }
  /// POST to the predict endpoint; returns (status, parsed body).
  std::pair<int, json> predict(const std::string& body, const std::string& name = "model") const {
    auto c = client();
    const auto res = c.Post(("/v1/models/" + name + ":predict").c_str(), body, "application/json");
    REQUIRE(res);
    return {res->status, json::parse(res->body)};
  }
  std::pair<int, json> get(const std::string& path) const {
    auto c = client();
    const auto res = c.Get(path.c_str());
    REQUIRE(res);
    return {res->status, json::parse(res->body)};
  }
};

serve::ServerOptions options_for(const fs::path& model) {
  serve::ServerOptions o;
  o.model_path = model.string();
  return o;
}

/// Sends raw bytes to 127.0.0.1:port and returns what the server answers before closing
/// (or within 5 s).
std::string raw_exchange(int port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    // Stop once the announced body has arrived.
    const std::size_t head_end = out.find("\r\n\r\n"), len = out.find("Content-Length: ");
    if (head_end != std::string::npos && len != std::string::npos && len < head_end &&
        out.size() >= head_end + 4 + std::stoul(out.substr(len + 16)))
      break;
  }
  ::close(fd);
  return out;
}

/// The class names a served network predicts for rows X (through the library, not HTTP).
std::vector<std::string> expected_classes(const fs::path& model, const std::vector<float>& X) {
  const auto m = grove::serving::load_model(model.string());
  std::vector<double> pred(X.size() / m->n_features());
  m->predict(X, pred);
  std::vector<std::string> out;
  for (double p : pred) out.push_back(m->schema().class_names.at(static_cast<std::size_t>(p)));
  return out;
}

}  // namespace

TEST_CASE("metadata, model list and liveness") {
  const fs::path model = dir() / "meta.grove";
  serve_test::write_flower_network(model);
  Running s(options_for(model));
  const auto [status, meta] = s.get("/v1/models/model");
  CHECK(status == 200);
  CHECK(meta["name"] == "model");
  CHECK(meta["ready"] == true);
  CHECK(meta["kind"] == "grove.serving.Network");
  CHECK(meta["task"] == "classification");
  CHECK(meta["version"] == 1);
  CHECK(meta["path"] == model.string());
  CHECK(meta["schema_in_file"] == true);
  CHECK(meta["target"] == "species");
  CHECK(meta["classes"] == json::array({"setosa", "versicolor", "virginica"}));
  CHECK(meta["features"].dump() ==
        R"([{"name":"length","kind":"numeric"},{"name":"width","kind":"numeric"},)"
        R"({"name":"colour","kind":"categorical","categories":["blue","green","red"]}])");
  CHECK_FALSE(meta.contains("last_reload"));
  CHECK(meta.begin().key() == "name");

  CHECK(s.get("/v1/models").second.dump() == R"({"models":["model"]})");
  const auto [hs, health] = s.get("/healthz");
  CHECK(hs == 200);
  CHECK(health.dump() == R"({"status":"alive"})");
  CHECK(s.log.take().empty());
}

TEST_CASE("predict: objects by feature name and arrays in feature order, class names, probabilities") {
  const fs::path model = dir() / "predict.grove";
  serve_test::write_flower_network(model, 7);
  Running s(options_for(model));
  const std::vector<float> X = {1.5f, 2.0f, 2.0f, 4.0f, 0.5f, 0.0f, 5.5f, 2.5f, 1.0f};
  const std::vector<std::string> want = expected_classes(model, X);

  const auto [status, out] = s.predict(R"({"instances": [
      {"length": 1.5, "width": 2, "colour": "red"},
      [4, 0.5, "blue"],
      {"colour": "green", "width": "2.5", "length": 5.5, "species": "setosa"}]})");
  CHECK(status == 200);
  CHECK(out.size() == 1);
  CHECK(out["predictions"] == json(want));

  const auto [ps, proba] = s.predict(R"({"instances": [[1.5, 2, "red"], [4, 0.5, "blue"], [5.5, 2.5, "green"]],
                                         "return_proba": true})");
  CHECK(ps == 200);
  CHECK(proba["predictions"] == json(want));
  CHECK(proba["classes"] == json::array({"setosa", "versicolor", "virginica"}));
  const auto m = grove::serving::load_model(model.string());
  std::vector<float> p(9);
  m->predict_proba(X, p);
  REQUIRE(proba["probabilities"].size() == 3);
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t c = 0; c < 3; ++c) CHECK(proba["probabilities"][i][c].get<float>() == p[i * 3 + c]);

  // null is a missing value, an unseen category too (as load_csv with a schema): both NaN.
  const std::vector<float> Xm = {std::nanf(""), 2.0f, std::nanf(""), 3.0f, std::nanf(""), 1.0f};
  const auto [ms, missing] = s.predict(R"({"instances": [{"length": null, "width": 2, "colour": "purple"},
                                                         [3, "NA", "green"]]})");
  CHECK(ms == 200);
  CHECK(missing["predictions"] == json(expected_classes(model, Xm)));
  CHECK(s.log.take().empty());
}

TEST_CASE("a classifier without class names answers class indices; a regressor numbers") {
  const fs::path gb = dir() / "plain.grove";
  const grove::trees::GradientBoostingClassifier c = serve_test::flower_boosting();
  c.save(gb.string());
  Running s(options_for(gb));
  const std::vector<float> X = {1.0f, 1.0f, 0.0f, 5.0f, 2.0f, 2.0f};
  const auto want = c.predict(grove::Tensor<float>::from_vector(X, grove::Shape{2, 3}));
  const auto [status, out] = s.predict(R"({"instances": [[1, 1, 0], [5, 2, 2]], "return_proba": true})");
  CHECK(status == 200);
  CHECK(out["predictions"] == json::array({want.data()[0], want.data()[1]}));
  CHECK(out["classes"] == json::array({0, 1, 2}));
  if (!s.server->current()->model->has_file_schema()) {
    const auto [st2, named] = s.predict(R"({"instances": [{"0": 1, "1": 1, "2": 0}]})");
    CHECK(st2 == 200);
    CHECK(named["predictions"] == json::array({want.data()[0]}));
  }

  const auto [Xr, y] = serve_test::flower_data(120, 9);
  grove::trees::RandomForestRegressor r({.n_estimators = 5, .max_depth = 4});
  r.fit(Xr, y);
  r.save((dir() / "reg.grove").string());
  Running rs(options_for(dir() / "reg.grove"));
  const float want_r = r.predict_row(std::vector<float>{2.0f, 1.0f, 1.0f});
  const auto [rs_status, rout] = rs.predict(R"({"instances": [[2, 1, 1]]})");
  CHECK(rs_status == 200);
  CHECK(rout["predictions"][0].get<float>() == want_r);
  CHECK(rout["predictions"][0].dump().size() <= 16);  // shortest float text, not 17 double digits
  CHECK(rs.get("/v1/models/model").second["task"] == "regression");
  const auto [bad_status, bad] = rs.predict(R"({"instances": [[2, 1, 1]], "return_proba": true})");
  CHECK(bad_status == 400);
  CHECK(bad["error"] == "\"return_proba\": the model is a regressor and has no class probabilities");
}

TEST_CASE("a tree model fit on a data set answers by feature name with its class names") {
  const auto [X, y] = serve_test::flower_data(300, 14);
  grove::data::Dataset<float> ds;
  ds.X = X;
  ds.y = y;
  const grove::data::Schema s = serve_test::flower_schema();
  ds.feature_names = s.feature_names();
  ds.categories = {{}, {}, s.features[2].categories};
  ds.feature_kinds = {grove::data::ColumnKind::Numeric, grove::data::ColumnKind::Numeric,
                      grove::data::ColumnKind::Categorical};
  ds.class_names = s.class_names;
  ds.target_name = s.target;
  ds.target_kind = grove::data::TargetKind::Categorical;
  grove::trees::GradientBoostingClassifier gb({.n_estimators = 20, .max_depth = 3});
  gb.fit(ds);
  const fs::path model = dir() / "gb_named.grove";
  gb.save(model.string());
  Running srv(options_for(model));
  const auto want = gb.predict(grove::Tensor<float>::from_vector({1.0f, 2.0f, 2.0f, 5.0f, 0.5f, 0.0f}, grove::Shape{2, 3}));
  const auto [status, out] = srv.predict(R"({"instances": [{"length": 1, "width": 2, "colour": "red"},
                                                           {"colour": "blue", "length": 5, "width": 0.5}]})");
  CHECK(status == 200);
  CHECK(out["predictions"] == json::array({s.class_names[static_cast<std::size_t>(want.data()[0])],
                                           s.class_names[static_cast<std::size_t>(want.data()[1])]}));
  const json meta = srv.get("/v1/models/model").second;
  CHECK(meta["schema_in_file"] == true);
  CHECK(meta["target"] == "species");
  CHECK(meta["features"][2]["categories"] == json::array({"blue", "green", "red"}));
}

TEST_CASE("every bad request is a 4xx naming the problem, with one log line, and the server keeps serving") {
  const fs::path model = dir() / "bad.grove";
  serve_test::write_flower_network(model);
  serve::ServerOptions o = options_for(model);
  o.max_body_bytes = 4096;
  Running s(o);
  struct Case {
    std::string body;
    std::string error;
  };
  const std::vector<Case> cases = {
      {R"({"instances": [)",
       "malformed JSON: parse error at line 1, column 16: syntax error while parsing value - unexpected end of input; "
       "expected '[', '{', or a literal"},
      {"", "malformed JSON: parse error at line 1, column 1: syntax error while parsing value - unexpected end of input; "
           "expected '[', '{', or a literal"},
      {R"([1, 2, 3])", R"(the request must be a JSON object with an "instances" array)"},
      {R"({"inputs": [[1, 2, "red"]]})", R"(the request must be a JSON object with an "instances" array)"},
      {R"({"instances": {"length": 1}})", R"(the request must be a JSON object with an "instances" array)"},
      {R"({"instances": []})", R"("instances" is empty)"},
      {R"({"instances": [[1, 2, "red"]], "return_proba": "yes"})", R"("return_proba" must be true or false)"},
      {R"({"instances": [{"length": 1, "width": 2, "colour": "red", "petals": 5}]})",
       "instances[0]: unknown feature 'petals' (the model's features: 'length', 'width', 'colour')"},
      {R"({"instances": [[1, 2, "red"], {"length": 1}]})",
       "instances[1]: missing feature 'width' (and 1 more); send null for a missing value"},
      {R"({"instances": [[1, 2]]})", "instances[0] has 2 values, the model takes 3 features ('length', 'width', 'colour')"},
      {R"({"instances": [[1, 2, "red", 4]]})",
       "instances[0] has 4 values, the model takes 3 features ('length', 'width', 'colour')"},
      {R"({"instances": [5]})", "instances[0] must be an object keyed by feature name or an array of 3 values, got a number"},
      {R"({"instances": ["1,2,red"]})",
       "instances[0] must be an object keyed by feature name or an array of 3 values, got a string"},
      {R"({"instances": [{"length": "long", "width": 2, "colour": "red"}]})",
       "instances[0]: feature 'length' expects a number, got 'long'"},
      {R"({"instances": [[1, true, "red"]]})", "instances[0]: feature 'width' expects a number, got true"},
      {R"({"instances": [[1, [2], "red"]]})", "instances[0]: feature 'width' expects a number, got an array"},
      {R"({"instances": [[1, 2, {"name": "red"}]]})", "instances[0]: feature 'colour' expects a category, got an object"},
      {R"({"instances": [[1, 2, false]]})", "instances[0]: feature 'colour' expects a category, got false"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.body);
    const auto [status, out] = s.predict(c.body);
    CHECK(status == 400);
    CHECK(out.size() == 1);
    CHECK(out["error"] == c.error);
    const std::vector<std::string> log = s.log.take();
    REQUIRE(log.size() == 1);
    CHECK(log[0] == "400 POST /v1/models/model:predict from 127.0.0.1: " + c.error);
  }

  // A client's text goes into the answer as it is, and into the log with control characters escaped.
  const auto [fs_, forged] = s.predict(R"({"instances": [{"a\nb": 1}]})");
  CHECK(fs_ == 400);
  CHECK(forged["error"] == "instances[0]: unknown feature 'a\nb' (the model's features: 'length', 'width', 'colour')");
  CHECK(s.log.take() == std::vector<std::string>{"400 POST /v1/models/model:predict from 127.0.0.1: instances[0]: unknown "
                                                 "feature 'a\\x0ab' (the model's features: 'length', 'width', 'colour')"});

  // Body too large: 413 before the body is parsed.
  const std::string big = R"({"instances": [)" + std::string(5000, ' ') + "[1, 2, \"red\"]]}";
  const auto [bs, bo] = s.predict(big);
  CHECK(bs == 413);
  CHECK(bo["error"] == "the request body exceeds the limit of 4096 bytes");
  CHECK(s.log.take() == std::vector<std::string>{
                            "413 POST /v1/models/model:predict from 127.0.0.1: the request body exceeds the limit of 4096 bytes"});

  // Unknown model, unknown route, wrong method.
  const auto [ns, no] = s.predict(R"({"instances": [[1, 2, "red"]]})", "other");
  CHECK(ns == 404);
  CHECK(no["error"] == "model 'other' not found (this server serves 'model')");
  const auto [rs, ro] = s.get("/v2/models/model/infer");
  CHECK(rs == 404);
  CHECK(ro["error"] == "no route for GET /v2/models/model/infer");
  const auto [ms, mo] = s.get("/v1/models/model:predict");
  CHECK(ms == 405);
  CHECK(mo["error"] == "use POST for /v1/models/model:predict");
  CHECK(s.log.take().size() == 3);

  // A chunked body (read without a size limit by cpp-httplib 0.11) is refused: 411.
  const std::string chunked = raw_exchange(
      s.port, "POST /v1/models/model:predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  CHECK(chunked.rfind("HTTP/1.1 411 Length Required\r\n", 0) == 0);
  CHECK(chunked.find(R"x({"error":"the request needs a Content-Length header (chunked bodies are not accepted)"})x") !=
        std::string::npos);
  // A request line that is not HTTP: 400 with a JSON body.
  const std::string garbage = raw_exchange(s.port, "HELLO\r\n\r\n");
  CHECK(garbage.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
  CHECK(garbage.find(R"x({"error":"bad request (400)"})x") != std::string::npos);

  // The server still answers, and counted every request and error.
  const auto [ok, out] = s.predict(R"({"instances": [[1, 2, "red"]]})");
  CHECK(ok == 200);
  CHECK(out["predictions"].size() == 1);
  const serve::LatencySummary st = s.server->take_stats();
  CHECK(st.requests == cases.size() + 2 + 3 + 2 + 1);
  CHECK(st.errors == cases.size() + 2 + 3 + 2);
  CHECK(st.p50_us > 0);
  CHECK(st.p50_us <= st.p99_us);
  CHECK(st.p99_us <= st.max_us);
  CHECK(s.server->take_stats().requests == 0);
}

TEST_CASE("--unseen error turns an unseen category into a 400") {
  const fs::path model = dir() / "unseen.grove";
  serve_test::write_flower_network(model);
  serve::ServerOptions o = options_for(model);
  o.unseen_category = grove::data::UnseenCategory::Error;
  Running s(o);
  const auto [status, out] = s.predict(R"({"instances": [[1, 2, "red"], [1, 2, "purple"]]})");
  CHECK(status == 400);
  CHECK(out["error"] == "instances[1]: feature 'colour' has no category 'purple' (known: 'blue', 'green', 'red')");
  CHECK(s.predict(R"({"instances": [[1, 2, null]]})").first == 200);
}

TEST_CASE("reload: a new model answers, a broken or incompatible file leaves the old one serving") {
  const fs::path model = dir() / "reload.grove", a = dir() / "reload_a.grove", b = dir() / "reload_b.grove";
  serve_test::write_flower_network(a, 1);
  serve_test::write_flower_network(b, 2);
  fs::copy_file(a, model, fs::copy_options::overwrite_existing);
  Running s(options_for(model));
  const std::string body = R"({"instances": [[0.5, 0.5, "blue"], [3, 1, "green"], [5, 2.5, "red"], [2, 3, "blue"]],
                               "return_proba": true})";
  const json pa = s.predict(body).second, pb_want = [&] {
    Running other(options_for(b));
    return other.predict(body).second;
  }();
  REQUIRE(pa != pb_want);

  fs::copy_file(b, model, fs::copy_options::overwrite_existing);
  serve::ReloadResult r = s.server->reload();
  CHECK(r.ok);
  CHECK(r.message == "reloaded '" + model.string() + "' (grove.serving.Network), version 2");
  CHECK(s.predict(body).second == pb_want);
  json meta = s.get("/v1/models/model").second;
  CHECK(meta["version"] == 2);
  CHECK(meta["last_reload"]["ok"] == true);
  CHECK_FALSE(meta["last_reload"].contains("error"));

  // Broken: a truncated copy. The old model (version 2) keeps answering.
  serve_test::write_bytes(model, serve_test::read_bytes(b).substr(0, 100));
  r = s.server->reload();
  CHECK_FALSE(r.ok);
  CHECK(r.message.rfind("reload failed, still serving version 2: load: '" + model.string() + "' at byte ", 0) == 0);
  CHECK(r.message.find("truncated or padded") != std::string::npos);
  CHECK(s.predict(body).second == pb_want);
  meta = s.get("/v1/models/model").second;
  CHECK(meta["version"] == 2);
  CHECK(meta["last_reload"]["ok"] == false);
  CHECK(meta["last_reload"]["attempts"] == 2);
  CHECK(meta["last_reload"]["failures"] == 1);
  CHECK(meta["last_reload"]["error"].get<std::string>().find("truncated or padded") != std::string::npos);

  // Missing file, then a model with other features: both refused.
  fs::remove(model);
  r = s.server->reload();
  CHECK_FALSE(r.ok);
  CHECK(r.message == "reload failed, still serving version 2: read_model_header: '" + model.string() +
                         "': cannot open: No such file or directory");
  serve_test::flower_boosting().save(model.string());
  r = s.server->reload();
  CHECK_FALSE(r.ok);
  if (!grove::serving::load_model(model.string())->has_file_schema())
    CHECK(r.message == "reload failed, still serving version 2: '" + model.string() +
                           "' is incompatible with the serving model: feature 0 changes from 'length' to '0' (restart, "
                           "or pass --allow-schema-change)");
  CHECK(s.predict(body).second == pb_want);
  const std::vector<std::string> log = s.log.take();
  REQUIRE(log.size() == 4);
  CHECK(log[0] == "reloaded '" + model.string() + "' (grove.serving.Network), version 2");
  CHECK(log[3] == r.message);

  // With --allow-schema-change the other model is taken.
  serve::ServerOptions o = options_for(dir() / "reload_a.grove");
  o.allow_schema_change = true;
  Running s2(o);
  fs::copy_file(model, dir() / "reload_a.grove", fs::copy_options::overwrite_existing);
  CHECK(s2.server->reload().ok);
  CHECK(s2.get("/v1/models/model").second["kind"] == "grove.trees.GradientBoostingClassifier");
}

TEST_CASE("requests in flight during reloads are all answered, by the old or the new model") {
  const fs::path model = dir() / "swap.grove", a = dir() / "swap_a.grove", b = dir() / "swap_b.grove";
  serve_test::write_flower_network(a, 3);
  serve_test::write_flower_network(b, 4);
  fs::copy_file(a, model, fs::copy_options::overwrite_existing);
  Running s(options_for(model));
  const std::string body = R"({"instances": [[0.5, 0.5, "blue"], [3, 1, "green"], [5, 2.5, "red"]], "return_proba": true})";
  const json pa = s.predict(body).second;
  fs::copy_file(b, model, fs::copy_options::overwrite_existing);
  REQUIRE(s.server->reload().ok);
  const json pb = s.predict(body).second;
  REQUIRE(pa != pb);

  std::atomic<bool> done{false};
  std::atomic<int> answered{0}, wrong{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&] {
      auto c = s.client();
      for (int i = 0; i < 150; ++i) {
        const auto res = c.Post("/v1/models/model:predict", body, "application/json");
        if (!res || res->status != 200) {
          ++wrong;
          continue;
        }
        const json out = json::parse(res->body);
        if (out != pa && out != pb) ++wrong;
        ++answered;
      }
    });
  std::thread reloader([&] {
    for (int i = 0; i < 30 && !done; ++i) {
      // A rename is what a save does: readers never see a half-written file.
      fs::copy_file(i % 2 ? b : a, dir() / "swap.tmp", fs::copy_options::overwrite_existing);
      fs::rename(dir() / "swap.tmp", model);
      if (!s.server->reload().ok) ++wrong;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  for (auto& c : clients) c.join();
  done = true;
  reloader.join();
  CHECK(wrong == 0);
  CHECK(answered == 600);
}

TEST_CASE("a program's extra model kinds are tried before grove's own") {
  // grove-pipeline writes only grove's own kinds (its MLP is a grove.serving.Network); an
  // application with a model class of its own registers it the same way.
  const fs::path model = dir() / "extra_kind.grove";
  serve_test::write_flower_network(model);
  std::atomic<int> loads{0};
  serve::ServerOptions o = options_for(model);
  o.extra_kinds = {{"grove.serving.Network", [&loads](const std::string& path) -> std::shared_ptr<const grove::serving::Model> {
                      ++loads;
                      return grove::serving::Network::load(path);
                    }}};
  Running s(o);
  CHECK(loads == 1);
  CHECK(s.get("/v1/models/model").second["kind"] == "grove.serving.Network");
}

// --- the real program ----------------------------------------------------------------------------

namespace {

fs::path serve_exe() { return fs::path(GROVE_TEST_TMP_DIR) / ".." / ".." / "examples" / "grove-serve"; }

struct Process {
  pid_t pid = -1;
  fs::path log;

  Process(const std::vector<std::string>& args, const fs::path& log_path) : log(log_path) {
    std::vector<char*> argv;
    std::vector<std::string> all = {serve_exe().string()};
    all.insert(all.end(), args.begin(), args.end());
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    REQUIRE(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Process() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  /// Waits (at most `seconds`) for `text` in the log; returns the rest of that line.
  std::string wait_for(const std::string& text, double seconds = 20) {
    const auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < seconds) {
      const std::string all = serve_test::read_bytes(log);
      if (const std::size_t at = all.find(text); at != std::string::npos) {
        const std::size_t from = at + text.size();
        return all.substr(from, all.find('\n', from) - from);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL("no '" << text << "' in the log:\n" << serve_test::read_bytes(log));
    return {};
  }
  /// Waits (at most 20 s) for the exit; returns the exit code (-1 when killed by a signal).
  int wait_exit() {
    for (int i = 0; i < 2000; ++i) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL("grove-serve did not exit");
    return -2;
  }
};

}  // namespace

TEST_CASE("the grove-serve program: start, predict, SIGHUP with a broken file, SIGTERM") {
  if (!fs::exists(serve_exe())) {
    MESSAGE("grove-serve is not built (examples off); skipping the program test");
    return;
  }
  const fs::path model = dir() / "program.grove";
  serve_test::write_flower_network(model, 5);
  Process p({"--model", model.string(), "--port", "0", "--threads", "4", "--stats-interval", "0.3"},
            dir() / "program.log");
  const std::string where = p.wait_for("listening on http://127.0.0.1:");
  CHECK(where.find("/v1/models/model") != std::string::npos);
  const int port = std::stoi(where);
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(10);
  const std::string body = R"({"instances": [{"length": 1.5, "width": 2, "colour": "red"}]})";
  const auto before = c.Post("/v1/models/model:predict", body, "application/json");
  REQUIRE(before);
  CHECK(before->status == 200);
  CHECK(json::parse(before->body)["predictions"] == json(expected_classes(model, {1.5f, 2.0f, 2.0f})));
  CHECK(p.wait_for(" s: 1 requests, 0 errors, latency p50 ").find(" ms, p99 ") != std::string::npos);

  serve_test::write_bytes(model, "not a model");
  ::kill(p.pid, SIGHUP);
  p.wait_for("reload failed, still serving version 1: read_model_header: '" + model.string() +
             "': not a grove model file (bad magic)");
  const auto after = c.Post("/v1/models/model:predict", body, "application/json");
  REQUIRE(after);
  CHECK(after->status == 200);
  CHECK(after->body == before->body);

  ::kill(p.pid, SIGTERM);
  CHECK(p.wait_exit() == 0);
  const std::string log = serve_test::read_bytes(p.log);
  CHECK(log.find("SIGTERM: stopping (answering requests in flight)") != std::string::npos);
  CHECK(log.find(" stopped; since the last summary: ") != std::string::npos);
}

TEST_CASE("the grove-serve program: bad flags exit 2, an unloadable model exits 1") {
  if (!fs::exists(serve_exe())) return;
  {
    Process p({"--port", "80"}, dir() / "flags.log");
    CHECK(p.wait_exit() == 2);
    CHECK(serve_test::read_bytes(p.log) == "grove-serve: --model PATH is required (see --help)\n");
  }
  {
    Process p({"--model", "x", "--port", "99999"}, dir() / "flags.log");
    CHECK(p.wait_exit() == 2);
    CHECK(serve_test::read_bytes(p.log) == "grove-serve: --port expects an integer in [0, 65535], got '99999'\n");
  }
  {
    Process p({"--model", "x", "--unseen", "drop"}, dir() / "flags.log");
    CHECK(p.wait_exit() == 2);
    CHECK(serve_test::read_bytes(p.log) == "grove-serve: --unseen expects missing or error, got 'drop'\n");
  }
  {
    const fs::path missing = dir() / "missing.grove";
    Process p({"--model", missing.string(), "--port", "0"}, dir() / "load.log");
    CHECK(p.wait_exit() == 1);
    CHECK(serve_test::read_bytes(p.log).find("cannot load the model: read_model_header: '" + missing.string() +
                                             "': cannot open: No such file or directory\n") != std::string::npos);
  }
}

TEST_CASE("the grove-serve program: --watch reloads a model file replaced by a rename") {
  if (!fs::exists(serve_exe())) return;
  const fs::path model = dir() / "watched.grove", next = dir() / "watched.next";
  serve_test::write_flower_network(model, 5);
  Process p({"--model", model.string(), "--port", "0", "--watch", "0.05", "--stats-interval", "0"}, dir() / "watch.log");
  const int port = std::stoi(p.wait_for("listening on http://127.0.0.1:"));
  serve_test::write_flower_network(next, 6);
  fs::rename(next, model);  // what a save does
  p.wait_for("reloaded '" + model.string() + "' (grove.serving.Network), version 2");
  CHECK(serve_test::read_bytes(p.log).find("'" + model.string() + "' changed: reloading") != std::string::npos);
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(10);
  const auto meta = c.Get("/v1/models/model");
  REQUIRE(meta);
  CHECK(json::parse(meta->body)["version"] == 2);
  ::kill(p.pid, SIGTERM);
  CHECK(p.wait_exit() == 0);
}
