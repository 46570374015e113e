# Autograd overhead, grove vs LibTorch, in one program: forward + backward of a chain of 100
# small (8x8) ops, ns per op, alternating the two libraries. Built only when LibTorch is found.
# The LibTorch half lives in its own translation unit without -Werror (its headers warn).
find_package(Torch QUIET)
if(NOT Torch_FOUND)
  message(STATUS "grove: LibTorch not found; grove_compare_autograd_libtorch is not built")
  return()
endif()

set(_ag_dir ${CMAKE_CURRENT_LIST_DIR})
add_executable(grove_compare_autograd_libtorch ${_ag_dir}/autograd_libtorch.cpp ${_ag_dir}/autograd_libtorch_torch.cpp)
target_link_libraries(grove_compare_autograd_libtorch PRIVATE grove::grove ${TORCH_LIBRARIES})
set_source_files_properties(${_ag_dir}/autograd_libtorch.cpp PROPERTIES
  COMPILE_OPTIONS "-Wall;-Wextra;-Wpedantic;-Werror")
if(GROVE_SANITIZE)
  target_compile_options(grove_compare_autograd_libtorch PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(grove_compare_autograd_libtorch PRIVATE -fsanitize=address,undefined)
endif()
