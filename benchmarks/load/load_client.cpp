// grove_load_client: a bounded, closed-loop HTTP load generator for grove-serve on 127.0.0.1.
// C connections (one thread each, keep-alive) send N requests in all, each the next body of a
// file (one JSON request per line, cycled), and the client reports throughput, latency
// percentiles and errors as one JSON line. It only ever connects to 127.0.0.1.
//
//   grove_load_client --port 8080 --connections 4 --requests 100000 --bodies bodies.txt [--warmup 2000]
//                     [--path /v1/models/model:predict]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#undef _res  // <resolv.h>'s macro (see examples/serve/server.hpp)

namespace {

struct Options {
  int port = 0;
  std::size_t connections = 1, requests = 10000, warmup = 1000;
  std::string bodies, path = "/v1/models/model:predict";
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "grove_load_client: " << why
            << "\nusage: grove_load_client --port P --bodies FILE [--connections C] [--requests N] [--warmup W] "
               "[--path URL-PATH]\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage(a + " needs a value");
    const std::string v = argv[++i];
    try {
      if (a == "--port") o.port = std::stoi(v);
      else if (a == "--connections") o.connections = std::stoul(v);
      else if (a == "--requests") o.requests = std::stoul(v);
      else if (a == "--warmup") o.warmup = std::stoul(v);
      else if (a == "--bodies") o.bodies = v;
      else if (a == "--path") o.path = v;
      else usage("unknown option " + a);
    } catch (const std::exception&) {
      usage("bad value for " + a + ": " + v);
    }
  }
  if (o.port <= 0 || o.port > 65535) usage("--port is required (1..65535)");
  if (o.bodies.empty()) usage("--bodies is required");
  if (o.connections < 1 || o.connections > 256) usage("--connections must be in [1, 256]");
  if (o.requests < o.connections || o.requests > 100000000) usage("--requests must be in [connections, 1e8]");
  return o;
}

double quantile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(std::min<double>(static_cast<double>(v.size()) - 1, q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::vector<std::string> bodies;
  {
    std::ifstream f(o.bodies);
    for (std::string line; std::getline(f, line);)
      if (!line.empty()) bodies.push_back(line);
  }
  if (bodies.empty()) usage("no request bodies in " + o.bodies);

  std::atomic<std::size_t> errors{0}, failed_connections{0};
  std::atomic<std::size_t> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::vector<double>> lat(o.connections);
  std::vector<std::thread> threads;
  using Clock = std::chrono::steady_clock;
  Clock::time_point t_start{}, t_end{};
  for (std::size_t c = 0; c < o.connections; ++c)
    threads.emplace_back([&, c] {
      httplib::Client cli("127.0.0.1", o.port);
      cli.set_keep_alive(true);
      cli.set_tcp_nodelay(true);  // as any latency-minded client does (Nagle would add ~40 ms)
      cli.set_connection_timeout(5);
      cli.set_read_timeout(10);
      const std::size_t mine = o.requests / o.connections + (c < o.requests % o.connections ? 1 : 0);
      const std::size_t warm = o.warmup / o.connections;
      auto one = [&](std::size_t i) {
        const std::string& body = bodies[(c * 7919 + i) % bodies.size()];
        const auto res = cli.Post(o.path.c_str(), body, "application/json");
        return res && res->status == 200 && res->body.rfind("{\"predictions\":", 0) == 0;
      };
      for (std::size_t i = 0; i < warm; ++i)
        if (!one(i)) ++failed_connections;
      lat[c].reserve(mine);
      ++ready;
      while (!go.load()) std::this_thread::yield();
      for (std::size_t i = 0; i < mine; ++i) {
        const auto t0 = Clock::now();
        const bool ok = one(warm + i);
        lat[c].push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        if (!ok) ++errors;
      }
    });
  while (ready.load() < o.connections) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  t_start = Clock::now();
  go = true;
  for (auto& t : threads) t.join();
  t_end = Clock::now();

  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  const double seconds = std::chrono::duration<double>(t_end - t_start).count();
  const double mx = all.empty() ? 0 : *std::max_element(all.begin(), all.end());
  std::printf(
      "{\"connections\": %zu, \"requests\": %zu, \"errors\": %zu, \"warmup_errors\": %zu, \"seconds\": %.4f, "
      "\"throughput\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, \"max_us\": %.1f}\n",
      o.connections, all.size(), errors.load(), failed_connections.load(), seconds,
      static_cast<double>(all.size()) / seconds, quantile(all, 0.5), quantile(all, 0.99), quantile(all, 0.999), mx);
  return errors.load() == 0 ? 0 : 1;
}
