#pragma once
/// \file Progress: a single self-rewriting status line on stderr for long training
/// (step, rate, ETA and whatever the caller adds, e.g. the loss). Silent unless stderr is a
/// terminal; GROVE_PROGRESS=1 or =0 in the environment forces it on or off.

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include "grove/core/format.hpp"

#if defined(_WIN32)
#include <io.h>
#else
#include <unistd.h>
#endif

namespace grove {

/// A progress line for a loop of known length.
class Progress {
public:
  /// Whether progress lines are shown by default: stderr is a terminal, unless GROVE_PROGRESS says.
  static bool enabled_by_default() noexcept {
    if (const char* env = std::getenv("GROVE_PROGRESS")) return env[0] == '1';
#if defined(_WIN32)
    return _isatty(_fileno(stderr)) != 0;
#else
    return isatty(fileno(stderr)) != 0;
#endif
  }

  /// `label` starts the line; `total` is the number of units (steps, rounds, trees).
  /// `out` is where the line goes (stderr unless a test captures it).
  Progress(std::string label, std::size_t total, bool enabled = enabled_by_default(),
           std::FILE* out = stderr)
      : label_(std::move(label)), total_(total), enabled_(enabled), out_(out), start_(Clock::now()),
        last_(start_) {}

  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress() { finish(); }

  bool enabled() const noexcept { return enabled_; }

  /// Reports that `done` units are complete; redraws at most ten times a second.
  /// `extra` (e.g. "loss 0.4312") is appended as given.
  void update(std::size_t done, std::string_view extra = {}) {
    if (!enabled_) return;
    const auto now = Clock::now();
    if (done < total_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    draw(done, extra, now);
  }

  /// Ends the line (once); later updates are ignored.
  void finish() {
    if (!enabled_ || finished_) return;
    finished_ = true;
    if (drawn_) std::fputc('\n', out_);
  }

private:
  using Clock = std::chrono::steady_clock;

  void draw(std::size_t done, std::string_view extra, Clock::time_point now) {
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
    const double eta = rate > 0 && total_ > done ? static_cast<double>(total_ - done) / rate : 0.0;
    const double percent = total_ ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0;
    const std::string pct = format_fixed(percent, 0);
    std::string line = "\r";
    line += label_;
    line += ' ';
    line += std::to_string(done);
    line += '/';
    line += std::to_string(total_);
    line += " (";
    if (pct.size() < 3) line.append(3 - pct.size(), ' ');
    line += pct;
    line += "%) ";
    line += format_fixed(rate, 1);
    line += "/s ETA ";
    line += format_seconds(eta);
    std::fputs(line.c_str(), out_);
    if (!extra.empty()) {
      std::fputc(' ', out_);
      std::fwrite(extra.data(), 1, extra.size(), out_);
    }
    std::fputs("\x1b[K", out_);  // clear what a longer previous line left behind
    std::fflush(out_);
    drawn_ = true;
  }

  static std::string format_seconds(double s) {
    // An ETA beyond ~30 years (or a non-finite one) is shown as such, not cast to an overflowing long.
    if (!(s < 1e9)) return "unknown";
    const long total = static_cast<long>(s + 0.5);
    const bool hours = total >= 3600;
    const long major = hours ? total / 3600 : total / 60, minor = hours ? (total / 60) % 60 : total % 60;
    std::string out = std::to_string(major);
    out += hours ? "h" : "m";
    if (minor < 10) out += '0';
    out += std::to_string(minor);
    out += hours ? 'm' : 's';
    return out;
  }

  std::string label_;
  std::size_t total_;
  bool enabled_;
  std::FILE* out_;
  bool drawn_ = false;
  bool finished_ = false;
  Clock::time_point start_;
  Clock::time_point last_;
};

}  // namespace grove
