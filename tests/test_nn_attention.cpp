// nn attention: MultiheadAttention (plain, causal, key padding) and TransformerEncoderLayer
// (pre-LN, GELU) match PyTorch's outputs and every parameter's gradient on fixed weights;
// gradcheck covers input and parameters; masks behave (no attention to masked keys, a query
// with no visible key gives zeros, not NaN); errors name the shapes.
#include <grove/autograd.hpp>
#include <grove/nn.hpp>
#include <grove/optim.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "test_nn_support.hpp"

namespace torch_ref {
#include "data/nn/torch_reference.inc"
}

using namespace grove;
using nn_test::check_close;
using nn_test::fill;

namespace {

void check_grads(nn::Module<double>& m, const std::vector<const std::vector<double>*>& want) {
  const auto params = m.named_parameters();
  REQUIRE(params.size() == want.size());
  for (std::size_t i = 0; i < params.size(); ++i) check_close(params[i].second.grad(), *want[i], 1e-10, params[i].first.c_str());
}

}  // namespace

TEST_CASE("MultiheadAttention matches PyTorch: plain, causal, key padding (output and every gradient)") {
  struct Case {
    bool causal, pad;
    const std::vector<double>*y, *dx, *dw, *db, *dow, *dob;
  };
  using namespace torch_ref;
  for (const Case& c :
       {Case{false, false, &mha_plain_y, &mha_plain_dx, &mha_plain_d_in_proj_weight, &mha_plain_d_in_proj_bias,
             &mha_plain_d_out_proj_weight, &mha_plain_d_out_proj_bias},
        Case{true, false, &mha_causal_y, &mha_causal_dx, &mha_causal_d_in_proj_weight, &mha_causal_d_in_proj_bias,
             &mha_causal_d_out_proj_weight, &mha_causal_d_out_proj_bias},
        Case{false, true, &mha_pad_y, &mha_pad_dx, &mha_pad_d_in_proj_weight, &mha_pad_d_in_proj_bias,
             &mha_pad_d_out_proj_weight, &mha_pad_d_out_proj_bias}}) {
    INFO("causal " << c.causal << " pad " << c.pad);
    Rng rng(0);
    nn::MultiheadAttention<double> mha(6, 2, rng, {.causal = c.causal});
    nn_test::set_params(mha, 0.25);
    auto x = fill(Shape{2, 4, 6}, 0.43, 0.6);
    x.requires_grad(true);
    const auto pad = Tensor<int>::from_vector({0, 0, 0, 0, 0, 0, 1, 1}, Shape{2, 4});
    auto y = c.pad ? mha.forward(x, pad) : mha(x);
    check_close(y, *c.y, 1e-12, "y");
    y.backward(fill(Shape{2, 4, 6}, 0.27, 0.1));
    check_close(x.grad(), *c.dx, 1e-10, "dx");
    check_grads(mha, {c.dw, c.db, c.dow, c.dob});
  }
}

TEST_CASE("TransformerEncoderLayer (pre-LN, GELU) matches PyTorch with and without a causal mask") {
  using namespace torch_ref;
  for (bool causal : {false, true}) {
    INFO("causal " << causal);
    Rng rng(0);
    nn::TransformerEncoderLayer<double> layer(6, 2, rng, {.dim_feedforward = 8, .dropout = 0.0, .causal = causal});
    nn_test::set_params(layer, 0.5);
    auto x = fill(Shape{2, 4, 6}, 0.39, 0.2, 1.2);
    x.requires_grad(true);
    auto y = layer(x);
    check_close(y, causal ? tel_causal_y : tel_plain_y, 1e-12, "y");
    y.backward(fill(Shape{2, 4, 6}, 0.23, 0.4));
    check_close(x.grad(), causal ? tel_causal_dx : tel_plain_dx, 1e-10, "dx");
    if (causal)
      check_grads(layer, {&tel_causal_d_self_attn_in_proj_weight, &tel_causal_d_self_attn_in_proj_bias,
                          &tel_causal_d_self_attn_out_proj_weight, &tel_causal_d_self_attn_out_proj_bias,
                          &tel_causal_d_linear1_weight, &tel_causal_d_linear1_bias, &tel_causal_d_linear2_weight,
                          &tel_causal_d_linear2_bias, &tel_causal_d_norm1_weight, &tel_causal_d_norm1_bias,
                          &tel_causal_d_norm2_weight, &tel_causal_d_norm2_bias});
    else
      check_grads(layer, {&tel_plain_d_self_attn_in_proj_weight, &tel_plain_d_self_attn_in_proj_bias,
                          &tel_plain_d_self_attn_out_proj_weight, &tel_plain_d_self_attn_out_proj_bias,
                          &tel_plain_d_linear1_weight, &tel_plain_d_linear1_bias, &tel_plain_d_linear2_weight,
                          &tel_plain_d_linear2_bias, &tel_plain_d_norm1_weight, &tel_plain_d_norm1_bias,
                          &tel_plain_d_norm2_weight, &tel_plain_d_norm2_bias});
  }
}

TEST_CASE("attention: gradcheck of input and every parameter (masks included)") {
  Rng rng(4);
  nn::MultiheadAttention<double> mha(4, 2, rng, {.causal = true});
  const auto x = fill(Shape{2, 3, 4}, 0.5, 0.3);
  std::string r = nn_test::module_gradcheck(mha, x, [&](const Tensor<double>& in) { return mha(in); });
  CHECK_MESSAGE(r.empty(), r);
  const auto pad = Tensor<double>::from_vector({0, 0, 1, 0, 0, 0}, Shape{2, 3});
  nn::MultiheadAttention<double> plain(4, 1, rng);
  r = nn_test::module_gradcheck(plain, x, [&](const Tensor<double>& in) { return plain.forward(in, pad); });
  CHECK_MESSAGE(r.empty(), r);
  nn::TransformerEncoderLayer<double> layer(4, 2, rng, {.dim_feedforward = 6, .dropout = 0.0});
  r = nn_test::module_gradcheck(layer, x, [&](const Tensor<double>& in) { return layer.forward(in, pad); });
  CHECK_MESSAGE(r.empty(), r);
  // An unbatched [L, E] input.
  r = nn_test::module_gradcheck(mha, fill(Shape{3, 4}, 0.7, 0.1), [&](const Tensor<double>& in) { return mha(in); });
  CHECK_MESSAGE(r.empty(), r);
}

TEST_CASE("attention masks: future and padded keys have no influence; a query with no visible key gives zeros") {
  Rng rng(8);
  nn::MultiheadAttention<double> mha(4, 2, rng, {.causal = true});
  NoGradGuard no_grad;
  auto x = fill(Shape{1, 5, 4}, 0.9, 0.2);
  const auto y = mha(x).to_vector();
  // Changing the last position changes only the last output (causality).
  auto x2 = x.detach().clone();
  for (std::size_t j = 0; j < 4; ++j) x2(0, 4, j) += 3.0;
  const auto y2 = mha(x2).to_vector();
  CHECK(std::equal(y.begin(), y.begin() + 16, y2.begin()));
  CHECK(y[16] != y2[16]);
  // Padding: changing a padded position changes no output of the other positions.
  nn::MultiheadAttention<double> enc(4, 2, rng);
  const auto pad = Tensor<int>::from_vector({0, 0, 0, 1, 1}, Shape{1, 5});
  const auto a = enc.forward(x, pad).to_vector(), b = enc.forward(x2, pad).to_vector();
  CHECK(std::equal(a.begin(), a.begin() + 12, b.begin()));
  // Causal + left padding: query 0 sees only a padded key. PyTorch returns NaN; grove gives the
  // output projection of a zero context (its bias), and no NaN anywhere.
  const auto left = Tensor<int>::from_vector({1, 0, 0, 0, 0}, Shape{1, 5});
  const auto out = mha.forward(x, left);
  for (double v : out.to_vector()) CHECK_FALSE(std::isnan(v));
  for (std::size_t j = 0; j < 4; ++j) CHECK(out(0, 0, j) == mha.out_proj().bias()(j));
}

TEST_CASE("attention modules: names, describe, dropout in training only, errors") {
  Rng rng(1);
  nn::MultiheadAttention<float> mha(8, 4, rng, {.dropout = 0.5});
  std::vector<std::string> names;
  for (const auto& [n, p] : mha.named_parameters()) names.push_back(n);
  CHECK(names == std::vector<std::string>{"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"});
  CHECK(mha.in_proj_bias().to_vector() == std::vector<float>(24, 0.0f));
  CHECK(mha.out_proj().bias().to_vector() == std::vector<float>(8, 0.0f));
  // Xavier uniform bound for [24, 8]: sqrt(6 / 32).
  for (float v : mha.in_proj_weight().to_vector()) CHECK_UNARY(std::abs(v) <= std::sqrt(6.0 / 32.0));
  CHECK(mha.describe() == "MultiheadAttention(embed_dim=8, num_heads=4, dropout=0.5)");
  auto x = Tensor<float>::randn(Shape{2, 3, 8}, rng);
  const auto t1 = mha(x).to_vector(), t2 = mha(x).to_vector();
  CHECK(t1 != t2);  // dropout masks differ between training calls
  mha.eval();
  CHECK(mha(x).to_vector() == mha(x).to_vector());

  nn::TransformerEncoderLayer<float> layer(8, 2, rng, {.dim_feedforward = 16});
  CHECK(layer.describe() == "TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.1, pre-LN, GELU)");
  CHECK(layer.named_parameters().size() == 12);
  nn::Sequential<float> model{nn::TransformerEncoderLayer<float>(8, 2, rng, {.dim_feedforward = 16}), nn::LayerNorm<float>(8)};
  CHECK(model(x).shape() == Shape{2, 3, 8});

  CHECK_THROWS_WITH_AS(nn::MultiheadAttention<float>(6, 4, rng),
                       "MultiheadAttention: embed_dim must be a positive multiple of num_heads, got 6 and 4", ValueError);
  CHECK_THROWS_WITH_AS(nn::MultiheadAttention<float>(8, 2, rng, {.dropout = 1.0}),
                       "MultiheadAttention: dropout must be in [0, 1), got 1", ValueError);
  CHECK_THROWS_WITH_AS(mha(Tensor<float>::ones(Shape{2, 3, 6})),
                       "MultiheadAttention: input [2,3,6] is not [B, L, 8] or [L, 8] (in_proj_weight [24,8])", ShapeError);
  CHECK_THROWS_WITH_AS(mha.forward(x, Tensor<int>::zeros(Shape{2, 4})),
                       "MultiheadAttention: key_padding_mask [2,4] does not match input [2,3,8] (expected [2,3])",
                       ShapeError);
  CHECK_THROWS_WITH_AS(layer(Tensor<float>::ones(Shape{3, 4})),
                       "TransformerEncoderLayer: input [3,4] is not [B, L, 8] or [L, 8]", ShapeError);
  CHECK_THROWS_WITH_AS(nn::TransformerEncoderLayer<float>(8, 2, rng, {.dim_feedforward = 0}),
                       "TransformerEncoderLayer: dim_feedforward must be >= 1, got 0", ValueError);
}

TEST_CASE("a one-layer transformer learns which of two tokens comes first") {
  // Sequences of 6 tokens from {2..7} with one 0 and one 1 somewhere; the label is 1 when
  // token 1 comes before token 0. Needs attention across positions.
  Rng rng(3);
  const std::size_t n = 256, L = 6, d = 16;
  std::vector<float> tokens(n * L), labels(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < L; ++j) tokens[i * L + j] = static_cast<float>(2 + rng.below(6));
    const std::size_t a = rng.below(L);
    std::size_t b = rng.below(L - 1);
    if (b >= a) ++b;
    tokens[i * L + a] = 0;
    tokens[i * L + b] = 1;
    labels[i] = b < a ? 1.0f : 0.0f;
  }
  const auto X = Tensor<float>::from_vector(tokens, Shape{n, L});
  const auto Y = Tensor<float>::from_vector(labels);
  nn::Embedding<float> tok(8, d, rng), pos(L, d, rng);
  nn::TransformerEncoderLayer<float> layer(d, 2, rng, {.dim_feedforward = 32, .dropout = 0.0});
  nn::LayerNorm<float> norm(d);
  nn::Linear<float> head(d, 2, rng);
  std::vector<Tensor<float>> params;
  for (nn::Module<float>* m : std::vector<nn::Module<float>*>{&tok, &pos, &layer, &norm, &head})
    for (const auto& p : m->parameters()) params.push_back(p);
  optim::AdamW<float> opt(params, {.lr = 3e-3});
  const auto positions = Tensor<float>::arange(L);
  auto logits = [&] {
    const auto h = norm(layer(tok(X) + pos(positions)));  // [n, L, d]
    return head(h.mean(1));                                // mean-pool over positions
  };
  for (int step = 0; step < 150; ++step) {
    opt.zero_grad();
    nn::cross_entropy(logits(), Y).backward();
    opt.step();
  }
  NoGradGuard no_grad;
  const auto pred = logits().argmax(1).to_vector();
  std::size_t correct = 0;
  for (std::size_t i = 0; i < n; ++i) correct += static_cast<float>(pred[i]) == labels[i];
  CHECK(correct >= 245);  // chance is ~128
}
