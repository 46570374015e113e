#pragma once
/// \file check_same_setup: the ranks of a distributed fit compare what must be equal everywhere
/// (feature count, params, schema, ...) before any training collective, so a misconfigured rank
/// is a clear error on every rank instead of a silently wrong model or a hang.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "grove/data/schema.hpp"
#include "grove/distributed/communicator.hpp"
#include "grove/io/binary.hpp"

namespace grove::detail {

/// A schema in one line for messages: its column and target names, and a digest of its bytes.
inline std::string schema_digest(const std::vector<unsigned char>& bytes, const data::Schema& schema) {
  char hex[20];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(io::fnv1a64(bytes.data(), bytes.size())));
  std::string names;
  for (std::size_t j = 0; j < schema.features.size() && j < 4; ++j) names += (j ? "," : "") + schema.features[j].name;
  if (schema.features.size() > 4) names += ",...";
  return std::to_string(schema.features.size()) + " columns (" + names + "), target '" + schema.target + "', digest " +
         hex;
}

inline std::vector<std::byte> encode_setup(const std::vector<std::pair<std::string, std::string>>& items) {
  std::vector<std::byte> out;
  for (const auto& [name, value] : items)
    for (const std::string* s : {&name, &value}) {
      for (char c : *s) out.push_back(static_cast<std::byte>(c));
      out.push_back(std::byte{0});
    }
  return out;
}

inline std::vector<std::pair<std::string, std::string>> decode_setup(const std::vector<std::byte>& bytes) {
  std::vector<std::string> parts(1);
  for (std::byte b : bytes) {
    if (b == std::byte{0})
      parts.emplace_back();
    else
      parts.back().push_back(static_cast<char>(b));
  }
  parts.pop_back();
  std::vector<std::pair<std::string, std::string>> items;
  for (std::size_t i = 0; i + 1 < parts.size(); i += 2) items.emplace_back(parts[i], parts[i + 1]);
  return items;
}

}  // namespace grove::detail

namespace grove::distributed {

/// Compares `items` (name, value) with rank 0's on every rank (one allgather). When a rank
/// differs, every rank throws DistributedError "<op>: rank r has <name> = <value>, rank 0 has
/// <value0>" (each differing rank, its first differing item).
inline void check_same_setup(Communicator& comm, std::string_view op,
                             const std::vector<std::pair<std::string, std::string>>& items) {
  const std::vector<std::vector<std::byte>> all = comm.allgather(grove::detail::encode_setup(items));
  const auto first = grove::detail::decode_setup(all[0]);
  std::string msg;
  for (std::size_t r = 1; r < all.size(); ++r) {
    const auto mine = grove::detail::decode_setup(all[r]);
    for (std::size_t i = 0; i < std::max(first.size(), mine.size()); ++i) {
      const std::string name = i < first.size() ? first[i].first : mine[i].first;
      const std::string a = i < first.size() ? first[i].second : "(none)";
      const std::string b = i < mine.size() && mine[i].first == name ? mine[i].second : "(none)";
      if (a == b) continue;
      msg += (msg.empty() ? std::string(op) + ": " : std::string("; ")) + "rank " + std::to_string(r) + " has " +
             name + " = " + b + ", rank 0 has " + a;
      break;
    }
  }
  if (!msg.empty()) throw DistributedError(msg);
}

}  // namespace grove::distributed
