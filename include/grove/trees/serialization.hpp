#pragma once
/// \file Writing and reading trees inside grove's binary container, with every loaded tree
/// validated so a crafted file cannot make prediction read out of bounds.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "grove/io/binary.hpp"
#include "grove/trees/tree.hpp"
#include "grove/trees/validate.hpp"

namespace grove::detail {

inline constexpr std::size_t kMaxTrees = std::size_t{1} << 24;

/// Per tree: outputs, nodes, values, (kind version 2) the category-set words and (kind version 3)
/// the node covers.
inline void write_trees(io::BinaryWriter& w, const std::vector<trees::Tree>& trees) {
  w.write<std::uint64_t>(trees.size());
  for (const trees::Tree& t : trees) {
    w.write<std::uint64_t>(t.n_outputs);
    w.write_vector(t.nodes);
    w.write_vector(t.values);
    w.write_vector(t.categories);
    w.write_vector(t.cover);
  }
}

/// Reads trees written by write_trees (version 1 files have no category words, versions 1 and 2
/// no covers) and proves each
/// a valid tree for the model (check_tree) with n_outputs values per node.
inline std::vector<trees::Tree> read_trees(io::BinaryReader& r, const TreeChecks& checks, std::size_t n_outputs,
                                           std::uint32_t version) {
  const auto n = r.read<std::uint64_t>();
  if (n > kMaxTrees) r.fail("tree count " + std::to_string(n) + " is implausible");
  std::vector<trees::Tree> out;
  out.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(n, r.remaining() / 16 + 1)));
  for (std::uint64_t i = 0; i < n; ++i) {
    trees::Tree t;
    const auto outs = r.read<std::uint64_t>();
    if (outs != n_outputs)
      r.fail("tree " + std::to_string(i) + " has " + std::to_string(outs) + " outputs, expected " +
             std::to_string(n_outputs));
    t.n_outputs = static_cast<std::size_t>(outs);
    t.nodes = r.read_vector<trees::TreeNode>(kMaxTreeNodes);
    t.values = r.read_vector<float>(kMaxTreeNodes * n_outputs);
    if (version >= 2) t.categories = r.read_vector<std::uint32_t>(kMaxTreeNodes);
    if (version >= 3) t.cover = r.read_vector<float>(kMaxTreeNodes);
    const std::string bad = check_tree(t, checks);
    if (!bad.empty()) r.fail("tree " + std::to_string(i) + ": " + bad);
    t.compute_depth();
    out.push_back(std::move(t));
  }
  return out;
}

/// Reads a count-prefixed double array that must have exactly `count` finite elements (and
/// none negative when `non_negative`).
inline std::vector<double> read_doubles(io::BinaryReader& r, std::size_t count, const char* what,
                                        bool non_negative = false) {
  std::vector<double> v = r.read_vector<double>(count);
  if (v.size() != count)
    r.fail(std::string(what) + ": " + std::to_string(v.size()) + " values, expected " + std::to_string(count));
  const std::string bad = check_numbers(v, what, non_negative);
  if (!bad.empty()) r.fail(bad);
  return v;
}

}  // namespace grove::detail
