#pragma once
/// \file A dense network saved with its architecture, so a program that did not train it (a
/// server, a batch scorer) can rebuild and run it: serving::NetworkSpec, make_network,
/// save_network, and serving::Network (the loaded model).
///
/// File: grove's binary container, kind "grove.serving.Network", version 1. Payload:
///   schema (data::write_schema) | u8 task | u64 n_classes | u8 one_hot |
///   f32[] input_mean | f32[] input_inv_std | u64[] hidden | u8[] activations |
///   f32 target_mean | f32 target_std | parameters in nn::save's layout
///   (u64 count; per parameter: string name, u8 dtype, u32 ndim, u64 extents, f32[] values).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "grove/autograd/node.hpp"
#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/rng.hpp"
#include "grove/core/shape.hpp"
#include "grove/data/schema.hpp"
#include "grove/io/binary.hpp"
#include "grove/nn/activation.hpp"
#include "grove/nn/linear.hpp"
#include "grove/nn/module.hpp"
#include "grove/nn/sequential.hpp"
#include "grove/serving/model.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::serving {

/// The activation after a hidden layer.
enum class Activation : std::uint8_t { Identity = 0, ReLU = 1, Tanh = 2, Sigmoid = 3, GELU = 4 };

/// Architecture and input/output transforms of a dense network: inputs (features, categorical
/// ones optionally one-hot) -> standardisation -> Linear, activation, ..., Linear -> softmax
/// (classifier) or a rescaled value (regressor).
struct NetworkSpec {
  data::Schema schema;               ///< the features (required) and, for a classifier, class names
  Task task = Task::Classification;  ///< classifier: n_classes outputs and a softmax; regressor: one output
  std::size_t n_classes = 0;         ///< classifier: number of classes (>= 2); regressor: 0
  bool one_hot = false;              ///< categorical features enter as one-hot blocks (else as their code)
  std::vector<float> input_mean;     ///< per network input; empty: no standardisation
  std::vector<float> input_inv_std;  ///< per network input: x' = (x - mean) * inv_std; a missing x' is 0
  std::vector<std::size_t> hidden;   ///< widths of the hidden layers
  std::vector<Activation> activations;  ///< one per hidden layer
  float target_mean = 0.0f;          ///< regressor: prediction = output * target_std + target_mean
  float target_std = 1.0f;

  /// Width of the network's input: one per numeric feature, one per category of a one-hot feature.
  std::size_t n_inputs() const noexcept {
    std::size_t n = 0;
    for (const data::Column& c : schema.features)
      n += one_hot && c.kind == data::ColumnKind::Categorical ? c.categories.size() : 1;
    return n;
  }
  /// Width of the network's output.
  std::size_t n_outputs() const noexcept { return task == Task::Classification ? n_classes : 1; }
};

inline constexpr const char* kNetworkKind = "grove.serving.Network";
inline constexpr std::uint32_t kNetworkKindVersion = 1;

}  // namespace grove::serving

namespace grove::detail {

inline constexpr std::size_t kMaxNetworkLayers = 64;
inline constexpr std::size_t kMaxNetworkWidth = std::size_t{1} << 20;

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_network_spec(const std::string& what) {
  throw_value_error("NetworkSpec: " + what);
}

/// Empty when the spec is consistent, otherwise what is wrong.
inline std::string network_spec_problem(const serving::NetworkSpec& s) {
  if (s.schema.features.empty()) return "the schema lists no features";
  if (s.task == serving::Task::Classification && (s.n_classes < 2 || s.n_classes > kMaxClasses))
    return "a classifier needs 2.." + std::to_string(kMaxClasses) + " classes, got " + std::to_string(s.n_classes);
  if (s.task == serving::Task::Regression && s.n_classes != 0)
    return "a regressor has n_classes 0, got " + std::to_string(s.n_classes);
  if (!s.schema.class_names.empty() && s.schema.class_names.size() != s.n_classes)
    return "the schema names " + std::to_string(s.schema.class_names.size()) + " classes, n_classes is " +
           std::to_string(s.n_classes);
  const std::size_t inputs = s.n_inputs();
  if (inputs == 0 || inputs > kMaxNetworkWidth) return "input width " + std::to_string(inputs) + " is out of range";
  if (s.input_mean.size() != s.input_inv_std.size() || (!s.input_mean.empty() && s.input_mean.size() != inputs))
    return "input_mean has " + std::to_string(s.input_mean.size()) + " values and input_inv_std " +
           std::to_string(s.input_inv_std.size()) + ", the network has " + std::to_string(inputs) + " inputs";
  if (s.hidden.size() > kMaxNetworkLayers) return std::to_string(s.hidden.size()) + " hidden layers is implausible";
  if (s.activations.size() != s.hidden.size())
    return std::to_string(s.hidden.size()) + " hidden layers but " + std::to_string(s.activations.size()) +
           " activations";
  for (std::size_t h : s.hidden)
    if (h == 0 || h > kMaxNetworkWidth) return "hidden width " + std::to_string(h) + " is out of range";
  for (serving::Activation a : s.activations)
    if (static_cast<std::uint8_t>(a) > static_cast<std::uint8_t>(serving::Activation::GELU))
      return "unknown activation " + std::to_string(static_cast<int>(a));
  if (!std::isfinite(s.target_mean) || !std::isfinite(s.target_std)) return "target_mean and target_std must be finite";
  return {};
}

/// A module's named parameters in nn::save's payload layout (float32).
inline void write_named_parameters(io::BinaryWriter& w, const nn::Module<float>& module) {
  const auto params = module.named_parameters();
  w.write<std::uint64_t>(params.size());
  for (const auto& [name, p] : params) {
    w.write_string(name);
    w.write<std::uint8_t>(1);  // float32
    w.write<std::uint32_t>(static_cast<std::uint32_t>(p.dim()));
    for (std::size_t d = 0; d < p.dim(); ++d) w.write<std::uint64_t>(p.shape()[d]);
    w.write_vector(p.to_vector());
  }
}

/// Reads parameters written by write_named_parameters into `module`: the same names, shapes and
/// element type, each exactly once; any difference is a FormatError naming the parameter.
inline void read_named_parameters(io::BinaryReader& r, nn::Module<float>& module) {
  auto params = module.named_parameters();
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < params.size(); ++i) index.emplace(params[i].first, i);
  const auto count = r.read<std::uint64_t>();
  if (count != params.size())
    r.fail("the file has " + std::to_string(count) + " parameters, the architecture " + std::to_string(params.size()));
  std::vector<bool> seen(params.size(), false);
  for (std::uint64_t e = 0; e < count; ++e) {
    const std::string name = r.read_string(4096);
    const auto it = index.find(name);
    if (it == index.end() || seen[it->second]) r.fail("unexpected or repeated parameter '" + name + "'");
    seen[it->second] = true;
    if (r.read<std::uint8_t>() != 1) r.fail("parameter '" + name + "' is not float32");
    const auto ndim = r.read<std::uint32_t>();
    if (ndim > Shape::kMaxDims) r.fail("parameter '" + name + "' claims " + std::to_string(ndim) + " dimensions");
    Shape shape;
    for (std::uint32_t d = 0; d < ndim; ++d) shape.push_back(static_cast<std::size_t>(r.read<std::uint64_t>()));
    Tensor<float>& p = params[it->second].second;
    if (!(shape == p.shape()))
      r.fail("parameter '" + name + "' has shape " + to_string(shape) + " in the file, the architecture needs " +
             to_string(p.shape()));
    const std::vector<float> v = r.read_vector<float>(p.size());
    if (v.size() != p.size()) r.fail("parameter '" + name + "' holds " + std::to_string(v.size()) + " values");
    std::copy(v.begin(), v.end(), p.data());  // parameters of a freshly built network are contiguous
  }
}

inline serving::NetworkSpec read_network_spec(io::BinaryReader& r) {
  serving::NetworkSpec s;
  s.schema = data::read_schema(r);
  const auto task = r.read<std::uint8_t>();
  if (task > 1) r.fail("unknown task " + std::to_string(task));
  s.task = static_cast<serving::Task>(task);
  s.n_classes = static_cast<std::size_t>(std::min<std::uint64_t>(r.read<std::uint64_t>(), kMaxClasses + 1));
  s.one_hot = r.read<std::uint8_t>() != 0;
  s.input_mean = r.read_vector<float>(kMaxNetworkWidth);
  s.input_inv_std = r.read_vector<float>(kMaxNetworkWidth);
  const auto hidden = r.read_vector<std::uint64_t>(kMaxNetworkLayers);
  s.hidden.assign(hidden.begin(), hidden.end());
  const auto acts = r.read_vector<std::uint8_t>(kMaxNetworkLayers);
  for (std::uint8_t a : acts) s.activations.push_back(static_cast<serving::Activation>(a));
  s.target_mean = r.read<float>();
  s.target_std = r.read<float>();
  const std::string bad = network_spec_problem(s);
  if (!bad.empty()) r.fail("network: " + bad);
  return s;
}

}  // namespace grove::detail

namespace grove::serving {

/// "identity", "relu", "tanh", "sigmoid", "gelu".
inline const char* to_string(Activation a) noexcept {
  switch (a) {
    case Activation::ReLU: return "relu";
    case Activation::Tanh: return "tanh";
    case Activation::Sigmoid: return "sigmoid";
    case Activation::GELU: return "gelu";
    default: return "identity";
  }
}

/// Throws a ValueError naming what is inconsistent in `spec` (sizes, counts, classes).
inline void check_network_spec(const NetworkSpec& spec) {
  const std::string bad = detail::network_spec_problem(spec);
  if (!bad.empty()) detail::throw_network_spec(bad);
}

/// A network with the spec's architecture (Linear, activation, ..., Linear; the softmax is not a
/// layer), initialised from `rng`: train it, then save it with save_network.
inline nn::Sequential<float> make_network(const NetworkSpec& spec, Rng& rng) {
  check_network_spec(spec);
  nn::Sequential<float> net;
  std::size_t in = spec.n_inputs();
  for (std::size_t l = 0; l < spec.hidden.size(); ++l) {
    net.add(nn::Linear<float>(in, spec.hidden[l], rng));
    switch (spec.activations[l]) {
      case Activation::ReLU: net.add(nn::ReLU<float>()); break;
      case Activation::Tanh: net.add(nn::Tanh<float>()); break;
      case Activation::Sigmoid: net.add(nn::Sigmoid<float>()); break;
      case Activation::GELU: net.add(nn::GELU<float>()); break;
      case Activation::Identity: break;
    }
    in = spec.hidden[l];
  }
  net.add(nn::Linear<float>(in, spec.n_outputs(), rng));
  return net;
}

/// Saves the spec and the parameters of `net` (which must have make_network(spec)'s
/// parameters: the same names and shapes, else a ValueError) to `path`, atomically.
inline void save_network(const std::string& path, const NetworkSpec& spec, const nn::Module<float>& net) {
  check_network_spec(spec);
  Rng rng(0);
  const auto want = make_network(spec, rng).named_parameters();
  const auto have = net.named_parameters();
  bool same = want.size() == have.size();
  for (std::size_t i = 0; same && i < want.size(); ++i)
    same = want[i].first == have[i].first && want[i].second.shape() == have[i].second.shape();
  if (!same)
    detail::throw_value_error("save_network: the module's parameters do not match the spec's architecture (build it "
                              "with make_network)");
  io::BinaryWriter w;
  data::write_schema(w, spec.schema);
  w.write<std::uint8_t>(static_cast<std::uint8_t>(spec.task));
  w.write<std::uint64_t>(spec.n_classes);
  w.write<std::uint8_t>(spec.one_hot ? 1 : 0);
  w.write_vector(spec.input_mean);
  w.write_vector(spec.input_inv_std);
  w.write_vector(std::vector<std::uint64_t>(spec.hidden.begin(), spec.hidden.end()));
  std::vector<std::uint8_t> acts;
  for (Activation a : spec.activations) acts.push_back(static_cast<std::uint8_t>(a));
  w.write_vector(acts);
  w.write<float>(spec.target_mean);
  w.write<float>(spec.target_std);
  detail::write_named_parameters(w, net);
  w.save(path, kNetworkKind, kNetworkKindVersion);
}

/// A network loaded from a save_network file, as a serving::Model.
class Network final : public Model {
public:
  /// Loads `path`; FormatError for a bad file, another kind or an inconsistent architecture.
  static std::shared_ptr<const Network> load(const std::string& path) {
    io::BinaryReader r = io::BinaryReader::open(path, kNetworkKind, kNetworkKindVersion);
    NetworkSpec spec = detail::read_network_spec(r);
    Rng rng(0);
    auto net = std::make_shared<nn::Sequential<float>>(make_network(spec, rng));
    detail::read_named_parameters(r, *net);
    r.expect_end();
    net->eval();
    return std::shared_ptr<const Network>(new Network(std::move(spec), std::move(net)));
  }

  const NetworkSpec& spec() const noexcept { return spec_; }

private:
  Network(NetworkSpec spec, std::shared_ptr<nn::Sequential<float>> net)
      : Model(kNetworkKind, spec.task, spec.schema.n_features(), spec.n_classes, spec.schema),
        spec_(std::move(spec)),
        net_(std::move(net)) {}

  /// The network's outputs for n rows (n x n_outputs).
  Tensor<float> outputs(const float* X, std::size_t n) const {
    const std::size_t d = n_features(), width = spec_.n_inputs();
    std::vector<float> in(n * width, 0.0f);
    for (std::size_t i = 0; i < n; ++i) {
      float* z = in.data() + i * width;
      std::size_t at = 0;
      for (std::size_t j = 0; j < d; ++j) {
        const data::Column& c = spec_.schema.features[j];
        const float x = X[i * d + j];
        if (spec_.one_hot && c.kind == data::ColumnKind::Categorical) {
          // A code outside the categories (missing, unseen) leaves the block zero.
          if (x >= 0 && x < static_cast<float>(c.categories.size())) z[at + static_cast<std::size_t>(x)] = 1.0f;
          at += c.categories.size();
        } else {
          z[at++] = x;
        }
      }
      for (std::size_t k = 0; k < width; ++k) {
        const float v = spec_.input_mean.empty() ? z[k] : (z[k] - spec_.input_mean[k]) * spec_.input_inv_std[k];
        z[k] = std::isnan(v) ? 0.0f : v;
      }
    }
    NoGradGuard no_grad;
    return net_->forward(Tensor<float>::from_vector(std::move(in), Shape{n, width})).contiguous();
  }

  void do_predict(const float* X, std::size_t n, double* out) const override {
    const Tensor<float> o = outputs(X, n);
    const std::size_t k = spec_.n_outputs();
    for (std::size_t i = 0; i < n; ++i) {
      const float* r = o.data() + i * k;
      out[i] = task() == Task::Classification
                   ? static_cast<double>(std::max_element(r, r + k) - r)
                   : static_cast<double>(r[0]) * spec_.target_std + spec_.target_mean;
    }
  }

  void do_predict_proba(const float* X, std::size_t n, float* out) const override {
    const Tensor<float> o = outputs(X, n);
    const std::size_t k = spec_.n_outputs();
    for (std::size_t i = 0; i < n; ++i) {
      const float* r = o.data() + i * k;
      const float m = *std::max_element(r, r + k);
      double sum = 0;
      for (std::size_t c = 0; c < k; ++c) sum += std::exp(static_cast<double>(r[c] - m));
      for (std::size_t c = 0; c < k; ++c)
        out[i * k + c] = static_cast<float>(std::exp(static_cast<double>(r[c] - m)) / sum);
    }
  }

  NetworkSpec spec_;
  // nn::Module::forward is not const, but in eval mode without gradients it changes nothing.
  std::shared_ptr<nn::Sequential<float>> net_;
};

}  // namespace grove::serving
