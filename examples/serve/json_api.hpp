#pragma once
// The JSON side of grove-serve (KServe / TF Serving V1 "instances" protocol), on nlohmann/json:
// a predict request decoded into a feature matrix through the model's schema, and the answer.
// Every problem with a request is a RequestError (an HTTP status and a message naming the
// problem, e.g. "instances[2]: unknown feature 'colour'").

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <grove/core/error.hpp>
#include <grove/data/schema.hpp>
#include <grove/serving/model.hpp>
#include <grove/serving/row_encoder.hpp>

namespace serve {

// Insertion-ordered objects: answers read "predictions" first, metadata "name" first.
using json = nlohmann::ordered_json;

/// A request the server refuses: HTTP status (4xx) and the message sent as {"error": ...}.
class RequestError : public std::runtime_error {
public:
  RequestError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const noexcept { return status_; }

private:
  int status_;
};

/// A decoded predict request: rows x n_features values, row-major.
struct PredictRequest {
  std::vector<float> X;
  std::size_t rows = 0;
  bool return_proba = false;
};

/// {"error": message} as text (invalid UTF-8 from a client or a file is replaced, never thrown).
inline std::string error_body(const std::string& message) {
  return json{{"error", message}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// "an object", "a string", ... for messages.
inline const char* json_type_phrase(const json& v) {
  switch (v.type()) {
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::null: return "null";
    default: return "a number";
  }
}

/// The first `limit` feature names, quoted, for messages.
inline std::string feature_names_list(const grove::data::Schema& s, std::size_t limit = 10) {
  std::string out;
  for (std::size_t j = 0; j < s.features.size() && j < limit; ++j) out += (j ? ", '" : "'") + s.features[j].name + "'";
  if (s.features.size() > limit) out += ", ... (" + std::to_string(s.features.size()) + " in all)";
  return out;
}

/// A float as the JSON number with the fewest digits that reads back as the same float (0.3,
/// not 0.30000001192092896); NaN and infinities become null.
inline json json_number(float v) {
  if (!std::isfinite(v)) return nullptr;
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf - 1, v);
  *res.ptr = '\0';
  return std::strtod(buf, nullptr);
}

/// Feature j's value from one JSON value: a number, a string (parsed or looked up as a CSV cell
/// would be), or null (missing). Anything else is a ValueError naming the feature.
inline float encode_json_value(const grove::serving::RowEncoder& enc, std::size_t j, const json& v) {
  switch (v.type()) {
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return enc.number(j, v.get<double>());
    case json::value_t::string: return enc.text(j, v.get_ref<const std::string&>());
    case json::value_t::null: return grove::serving::RowEncoder::missing();
    case json::value_t::boolean: enc.boolean(j, v.get<bool>());
    default: {
      const auto& c = enc.schema().features[j];
      throw grove::ValueError("feature '" + c.name + "' expects " +
                              (c.kind == grove::data::ColumnKind::Numeric ? "a number" : "a category") + ", got " +
                              json_type_phrase(v));
    }
  }
}

/// At most 60 characters of a client's text, for a message.
inline std::string shorten(std::string_view s) {
  return s.size() > 60 ? std::string(s.substr(0, 60)) + "..." : std::string(s);
}

/// Instance i (an object keyed by feature name, or an array in feature order) into `row`.
inline void encode_instance(const grove::serving::RowEncoder& enc, const json& inst, std::size_t i, float* row,
                            std::vector<unsigned char>& seen) {
  const std::size_t d = enc.n_features();
  const std::string where = "instances[" + std::to_string(i) + "]";
  auto fail = [&](const std::string& what) { throw RequestError(400, where + what); };
  try {
    if (inst.is_object()) {
      seen.assign(d, 0);
      for (const auto& [key, value] : inst.items()) {
        const std::size_t j = enc.find(key);
        if (j == grove::serving::RowEncoder::npos) {
          if (enc.is_target(key)) continue;  // rows copied from the training file may carry the target
          fail(": unknown feature '" + shorten(key) + "' (the model's features: " + feature_names_list(enc.schema()) +
               ")");
        }
        row[j] = encode_json_value(enc, j, value);
        seen[j] = 1;
      }
      for (std::size_t j = 0; j < d; ++j)
        if (!seen[j]) {
          std::size_t more = 0;
          for (std::size_t k = j + 1; k < d; ++k) more += seen[k] ? 0 : 1;
          fail(": missing feature '" + enc.schema().features[j].name + "'" +
               (more ? " (and " + std::to_string(more) + " more)" : "") + "; send null for a missing value");
        }
    } else if (inst.is_array()) {
      if (inst.size() != d)
        fail(" has " + std::to_string(inst.size()) + " values, the model takes " + std::to_string(d) + " features (" +
             feature_names_list(enc.schema()) + ")");
      for (std::size_t j = 0; j < d; ++j) row[j] = encode_json_value(enc, j, inst[j]);
    } else {
      fail(" must be an object keyed by feature name or an array of " + std::to_string(d) + " values, got " +
           json_type_phrase(inst));
    }
  } catch (const grove::ValueError& e) {  // a value the schema cannot encode: the message names the feature
    fail(std::string(": ") + e.what());
  }
}

/// Decodes {"instances": [...], "return_proba": bool} for a model; RequestError(400, ...) for
/// anything malformed.
inline PredictRequest parse_predict_request(std::string_view body, const grove::serving::Model& model,
                                            const grove::serving::RowEncoder& enc) {
  json doc;
  try {
    doc = json::parse(body.begin(), body.end());
  } catch (const json::parse_error& e) {
    std::string what = e.what();  // "[json.exception.parse_error.101] parse error at line 1, ..."
    const std::size_t cut = what.find("] ");
    throw RequestError(400, "malformed JSON: " + (cut == std::string::npos ? what : what.substr(cut + 2)));
  }
  if (!doc.is_object() || !doc.contains("instances") || !doc["instances"].is_array())
    throw RequestError(400, "the request must be a JSON object with an \"instances\" array");
  const json& instances = doc["instances"];
  if (instances.empty()) throw RequestError(400, "\"instances\" is empty");
  PredictRequest req;
  if (const auto it = doc.find("return_proba"); it != doc.end()) {
    if (!it->is_boolean()) throw RequestError(400, "\"return_proba\" must be true or false");
    req.return_proba = it->get<bool>();
    if (req.return_proba && model.task() != grove::serving::Task::Classification)
      throw RequestError(400, "\"return_proba\": the model is a regressor and has no class probabilities");
  }
  const std::size_t d = enc.n_features();
  req.rows = instances.size();
  req.X.resize(req.rows * d);
  std::vector<unsigned char> seen;
  for (std::size_t i = 0; i < req.rows; ++i) encode_instance(enc, instances[i], i, req.X.data() + i * d, seen);
  return req;
}

/// The label of class c: its name when the model has class names, else the index.
inline json class_label(const grove::serving::Model& model, std::size_t c) {
  const auto& names = model.schema().class_names;
  return names.empty() ? json(static_cast<std::int64_t>(c)) : json(names[c]);
}

/// {"predictions": [...]} (class names, class indices or values) and, with return_proba,
/// "probabilities" (one array per instance, in the order of "classes") and "classes".
inline std::string predict_response(const grove::serving::Model& model, const PredictRequest& req) {
  std::vector<double> pred(req.rows);
  model.predict(req.X, pred);
  json out;
  json& preds = out["predictions"] = json::array();
  const bool classifier = model.task() == grove::serving::Task::Classification;
  for (double p : pred)
    preds.push_back(classifier ? class_label(model, static_cast<std::size_t>(p)) : json_number(static_cast<float>(p)));
  if (req.return_proba) {
    const std::size_t k = model.n_classes();
    std::vector<float> proba(req.rows * k);
    model.predict_proba(req.X, proba);
    json& probs = out["probabilities"] = json::array();
    for (std::size_t i = 0; i < req.rows; ++i) {
      json row = json::array();
      for (std::size_t c = 0; c < k; ++c) row.push_back(json_number(proba[i * k + c]));
      probs.push_back(std::move(row));
    }
    json& classes = out["classes"] = json::array();
    for (std::size_t c = 0; c < k; ++c) classes.push_back(class_label(model, c));
  }
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// The model's schema as JSON: target, classes, features (name, kind, categories).
inline json schema_json(const grove::serving::Model& model) {
  const grove::data::Schema& s = model.schema();
  json out = json::object();
  if (!s.target.empty()) out["target"] = s.target;
  if (model.task() == grove::serving::Task::Classification) {
    json classes = json::array();
    for (std::size_t c = 0; c < model.n_classes(); ++c) classes.push_back(class_label(model, c));
    out["classes"] = std::move(classes);
  }
  json features = json::array();
  for (const auto& c : s.features) {
    json f{{"name", c.name}, {"kind", c.kind == grove::data::ColumnKind::Numeric ? "numeric" : "categorical"}};
    if (c.kind == grove::data::ColumnKind::Categorical) f["categories"] = c.categories;
    features.push_back(std::move(f));
  }
  out["features"] = std::move(features);
  return out;
}

}  // namespace serve
