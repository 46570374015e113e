# grove vs LibTorch on one Fashion-MNIST epoch of the same CNN (cnn_compare.cpp). Built when
# LibTorch is found. The LibTorch half gets no -Werror (its headers warn); grove's half gets
# grove's warnings and the instruction set chosen by GROVE_COMPARE_ARCH (mlp_compare.cmake).
find_package(Torch QUIET)
if(NOT Torch_FOUND)
  message(STATUS "grove: LibTorch not found; grove_compare_cnn is not built")
  return()
endif()

set(_cnn_dir ${CMAKE_CURRENT_LIST_DIR})
add_executable(grove_compare_cnn ${_cnn_dir}/cnn_compare.cpp ${_cnn_dir}/cnn_torch.cpp)
target_link_libraries(grove_compare_cnn PRIVATE grove::grove ${TORCH_LIBRARIES} ${CMAKE_DL_LIBS})
target_compile_definitions(grove_compare_cnn PRIVATE CNN_COMPARE_HAVE_TORCH=1)
set(GROVE_COMPARE_ARCH "native" CACHE STRING "-march= for grove's half of the comparison programs (empty: none)")
set(_cnn_grove_flags "-Wall;-Wextra;-Wpedantic;-Werror")
if(GROVE_COMPARE_ARCH)
  list(APPEND _cnn_grove_flags "-march=${GROVE_COMPARE_ARCH}" "-Wno-maybe-uninitialized")
endif()
set_source_files_properties(${_cnn_dir}/cnn_compare.cpp PROPERTIES COMPILE_OPTIONS "${_cnn_grove_flags}")
if(GROVE_SANITIZE)
  target_compile_options(grove_compare_cnn PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(grove_compare_cnn PRIVATE -fsanitize=address,undefined)
endif()
