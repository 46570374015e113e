// grove-serve: serves a grove model file over HTTP (KServe / TF Serving V1 REST) until SIGTERM.
//
//   grove-serve --model out/model.grove --port 8080
//   curl -s localhost:8080/v1/models/model:predict -d '{"instances": [{"age": 41, "city": "Rome"}]}'
//
// The server itself is examples/serve/server.hpp (a class the tests start in-process); this file
// parses the flags, handles signals (SIGHUP reloads, SIGTERM/SIGINT stop) on the main thread with
// sigtimedwait, watches the model file when asked and logs a latency summary periodically.

#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <exception>
#include <iostream>
#include <mutex>
#include <string>
#include <sys/stat.h>

#include "serve/options.hpp"
#include "serve/server.hpp"

namespace {

/// One line on stderr per event, whole lines even from many threads.
void log_line(const std::string& message) {
  static std::mutex m;
  const std::string line = "grove-serve: " + serve::iso_time(std::chrono::system_clock::now()) + " " + message + "\n";
  std::lock_guard<std::mutex> lk(m);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

/// What identifies a version of the model file: a save renames a new file into place.
struct FileStamp {
  ino_t inode = 0;
  off_t size = -1;
  std::int64_t mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

FileStamp stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {st.st_ino, st.st_size, static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

int run(const serve::ServeOptions& o, const sigset_t& signals) {
  serve::ServerOptions so = o.server;
  std::unique_ptr<serve::ModelServer> server;
  try {
    server = std::make_unique<serve::ModelServer>(so, log_line);
  } catch (const std::exception& e) {
    log_line(std::string("cannot load the model: ") + e.what());
    return 1;
  }
  int port = 0;
  try {
    port = server->start();
  } catch (const std::exception& e) {
    log_line(e.what());
    return 1;
  }
  const auto m = server->current();
  log_line("serving '" + so.name + "' (" + m->model->kind() + ", " + to_string(m->model->task()) + ", " +
           std::to_string(m->model->n_features()) + " features) from '" + so.model_path + "'");
  log_line("listening on http://" + so.host + ":" + std::to_string(port) + "/v1/models/" + so.name);

  using Clock = std::chrono::steady_clock;
  auto last_stats = Clock::now(), last_watch = Clock::now();
  FileStamp seen = stamp(so.model_path);
  for (;;) {
    timespec tick{0, 200 * 1000 * 1000};
    siginfo_t info{};
    const int sig = sigtimedwait(&signals, &info, &tick);
    if (sig == SIGHUP) {
      log_line("SIGHUP: reloading '" + so.model_path + "'");
      seen = stamp(so.model_path);
      server->reload();
    } else if (sig == SIGTERM || sig == SIGINT) {
      log_line(std::string(sig == SIGTERM ? "SIGTERM" : "SIGINT") + ": stopping (answering requests in flight)");
      server->stop();
      log_line("stopped; since the last summary: " + server->take_stats().to_string());
      return 0;
    }
    const auto now = Clock::now();
    if (o.watch_seconds > 0 && now - last_watch >= std::chrono::duration<double>(o.watch_seconds)) {
      last_watch = now;
      const FileStamp s = stamp(so.model_path);
      if (!(s == seen) && s.size >= 0) {
        seen = s;
        log_line("'" + so.model_path + "' changed: reloading");
        server->reload();
      }
    }
    if (o.stats_seconds > 0 && now - last_stats >= std::chrono::duration<double>(o.stats_seconds)) {
      const serve::LatencySummary s = server->take_stats();
      if (s.requests) log_line("last " + grove::format_number(std::chrono::duration<double>(now - last_stats).count(), 3) +
                               " s: " + s.to_string());
      last_stats = now;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  serve::ServeOptions o;
  try {
    o = serve::parse_serve_options(argc, argv);
  } catch (const serve::UsageError& e) {
    std::cerr << "grove-serve: " << e.what() << "\n";
    return 2;
  }
  if (o.help) {
    std::cout << serve::serve_help_text();
    return 0;
  }
  // Signals are taken synchronously by the main loop: block them before any thread starts, so
  // every thread inherits the mask and none is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the server
  return run(o, signals);
}
