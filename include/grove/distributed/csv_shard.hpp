#pragma once
/// \file Reading a CSV file as shards: rank 0 infers the schema from the head of the file and
/// broadcasts it (agree_csv_schema); each rank then streams the whole file with CsvReader and
/// keeps only its rows, data rows i with i % size == rank (read_csv_shard). No rank holds more
/// than its shard plus one batch.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/data/csv.hpp"
#include "grove/data/csv_options.hpp"
#include "grove/data/csv_reader.hpp"
#include "grove/data/schema.hpp"
#include "grove/distributed/communicator.hpp"
#include "grove/io/binary.hpp"
#include "grove/io/file.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::detail {

inline constexpr char kSchemaKind[] = "grove.distributed.schema";

/// The schema load_csv infers from the first `sample_bytes` of the file (whole lines).
inline data::Schema infer_schema_from_head(const std::string& path, const data::CsvOptions& options,
                                           std::size_t sample_bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw_format_error("agree_csv_schema: cannot open '" + path + "': " + ec.message());
  if (size <= sample_bytes) return data::load_csv<float>(path, options).schema();
  std::ifstream in(path, std::ios::binary);
  std::string head(sample_bytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(sample_bytes));
  head.resize(static_cast<std::size_t>(in.gcount()));
  head.resize(head.rfind('\n') == std::string::npos ? 0 : head.rfind('\n') + 1);
  const std::filesystem::path tmp =
      std::filesystem::temp_directory_path() / ("grove-schema-" + std::to_string(std::hash<std::string>{}(path)) + ".csv");
  io::write_file(tmp.string(), head, "agree_csv_schema");
  try {
    data::Schema s = data::load_csv<float>(tmp.string(), options).schema();
    std::filesystem::remove(tmp, ec);
    return s;
  } catch (...) {
    std::filesystem::remove(tmp, ec);
    throw;
  }
}

}  // namespace grove::detail

namespace grove::distributed {

/// The schema of a CSV file on every rank: rank 0 infers it with load_csv(path, options) from the
/// first `sample_bytes` of the file (the whole file when smaller) and broadcasts it. Categories
/// and classes that first appear after the sample are unknown to it (CsvReader then reports an
/// unseen class with its line). An error on rank 0 is a DistributedError on every rank.
inline data::Schema agree_csv_schema(Communicator& comm, const std::string& path, const data::CsvOptions& options,
                                     std::size_t sample_bytes = std::size_t{64} << 20) {
  std::vector<std::byte> bytes;
  on_every_rank(comm, "agree_csv_schema", [&] {
    if (comm.rank() != 0) return;
    io::BinaryWriter w;
    data::write_schema(w, grove::detail::infer_schema_from_head(path, options, sample_bytes));
    const std::vector<unsigned char> c = w.finish(grove::detail::kSchemaKind, 1);
    for (unsigned char b : c) bytes.push_back(static_cast<std::byte>(b));
  });
  comm.broadcast(bytes, 0);
  std::vector<unsigned char> c(bytes.size());
  for (std::size_t i = 0; i < c.size(); ++i) c[i] = static_cast<unsigned char>(bytes[i]);
  io::BinaryReader r(std::move(c), "agree_csv_schema (broadcast)", grove::detail::kSchemaKind, 1);
  return data::read_schema(r);
}

/// One rank's rows of a CSV file.
template <class T>
struct CsvShard {
  Tensor<T> X;                     ///< rows x n_features, encoded with the schema
  Tensor<T> y;                     ///< one target per row
  std::vector<std::size_t> lines;  ///< the 1-based line of each row
};

/// Data rows i (0-based, in file order) with i % size == rank, read with `schema` in batches of
/// `batch_rows`: the file is streamed and other ranks' rows are dropped as they pass.
template <class T>
CsvShard<T> read_csv_shard(const std::string& path, const data::Schema& schema, int rank, int size,
                           std::size_t batch_rows = 8192) {
  if (size < 1 || rank < 0 || rank >= size)
    grove::detail::throw_value_error("read_csv_shard: rank " + std::to_string(rank) + " of " + std::to_string(size) +
                                     " ranks");
  data::CsvReader<T> reader(path, {.schema = schema});
  const std::size_t d = reader.n_features();
  std::vector<T> X, y;
  CsvShard<T> out;
  std::size_t i = 0;
  const auto K = static_cast<std::size_t>(size), me = static_cast<std::size_t>(rank);
  while (auto batch = reader.next(batch_rows)) {
    const T* xb = batch->X.data();
    const T* yb = batch->y.data();
    const bool has_y = batch->y.size() == batch->size();
    for (std::size_t b = 0; b < batch->size(); ++b, ++i) {
      if (i % K != me) continue;
      X.insert(X.end(), xb + b * d, xb + (b + 1) * d);
      if (has_y) y.push_back(yb[b]);
      out.lines.push_back(batch->lines[b]);
    }
  }
  const std::size_t n = out.lines.size(), ny = y.size();
  out.X = Tensor<T>::from_vector(std::move(X), Shape{n, d});
  out.y = Tensor<T>::from_vector(std::move(y), Shape{ny});
  return out;
}

}  // namespace grove::distributed
