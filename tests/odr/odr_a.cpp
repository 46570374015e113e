// ODR check: every public header, through the umbrella, in this TU and in odr_b.cpp.
#include <grove/grove.hpp>

#include <doctest/doctest.h>

int grove_odr_b_value();

TEST_CASE("odr: the umbrella header links in two translation units") {
  grove::Rng rng(7);
  CHECK(grove_odr_b_value() == static_cast<int>(rng.below(1000)));
}
