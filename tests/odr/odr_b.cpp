// Second translation unit of the ODR check.
#include <grove/grove.hpp>

int grove_odr_b_value() {
  grove::Rng rng(7);
  return static_cast<int>(rng.below(1000));
}
