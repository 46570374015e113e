// An outside program using grove; exits non-zero if anything is off.
#include <grove/grove.hpp>

#include <cstdio>

int main() {
  grove::Rng rng(42);
  const auto first = rng.next_u64();
  grove::Rng again(42);
  if (again.next_u64() != first) return 1;
  try {
    grove::set_num_threads(0);
    return 2;
  } catch (const grove::ValueError&) {
  }
  std::printf("grove consumer ok\n");
  return 0;
}
