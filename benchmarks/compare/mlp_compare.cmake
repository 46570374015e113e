# grove vs LibTorch vs tiny-dnn on the same MLP (784-256-128-10, Adam, float), side by side.
# Built when LibTorch is found; the tiny-dnn half joins when tiny-dnn and the headers it needs
# (cereal, gemmlowp, stb) are present. Peers' translation units get no -Werror: their headers warn.
find_package(Torch QUIET)
if(NOT Torch_FOUND)
  message(STATUS "grove: LibTorch not found; grove_compare_mlp is not built")
  return()
endif()

set(_mlp_dir ${CMAKE_CURRENT_LIST_DIR})
add_executable(grove_compare_mlp ${_mlp_dir}/mlp_compare.cpp ${_mlp_dir}/mlp_torch.cpp)
target_link_libraries(grove_compare_mlp PRIVATE grove::grove ${TORCH_LIBRARIES} ${CMAKE_DL_LIBS})
target_compile_definitions(grove_compare_mlp PRIVATE MLP_COMPARE_HAVE_TORCH=1)
# grove's own translation unit gets grove's warning flags and an instruction set for Eigen's
# kernels: grove is header-only, so its GEMMs use what the user compiles for (default SSE2 only),
# while OpenBLAS picks AVX2/AVX-512 kernels at run time. GROVE_COMPARE_ARCH=native (default) or
# e.g. haswell (AVX2+FMA, what OpenBLAS reports using here); empty = the compiler's default.
set(GROVE_COMPARE_ARCH "native" CACHE STRING "-march= for grove's half of grove_compare_mlp (empty: none)")
set(_mlp_grove_flags "-Wall;-Wextra;-Wpedantic;-Werror")
if(GROVE_COMPARE_ARCH)
  # GCC 12 flags _mm512_undefined_ps() inside Eigen's AVX-512 code as maybe-uninitialized.
  list(APPEND _mlp_grove_flags "-march=${GROVE_COMPARE_ARCH}" "-Wno-maybe-uninitialized")
endif()
set_source_files_properties(${_mlp_dir}/mlp_compare.cpp PROPERTIES COMPILE_OPTIONS "${_mlp_grove_flags}")
if(GROVE_SANITIZE)
  target_compile_options(grove_compare_mlp PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(grove_compare_mlp PRIVATE -fsanitize=address,undefined)
endif()

find_path(GROVE_TINY_DNN_INCLUDE tiny_dnn/tiny_dnn.h)
find_path(GROVE_CEREAL_INCLUDE cereal/cereal.hpp)
find_path(GROVE_GEMMLOWP_INCLUDE gemmlowp/public/gemmlowp.h)
find_path(GROVE_STB_INCLUDE stb/stb_image.h)
if(GROVE_TINY_DNN_INCLUDE AND GROVE_CEREAL_INCLUDE AND GROVE_GEMMLOWP_INCLUDE AND GROVE_STB_INCLUDE)
  # tiny-dnn includes "third_party/stb/..."; map that name onto the system's stb headers.
  set(_stb_map ${CMAKE_CURRENT_BINARY_DIR}/tinydnn_include/third_party)
  file(MAKE_DIRECTORY ${_stb_map})
  file(CREATE_LINK ${GROVE_STB_INCLUDE}/stb ${_stb_map}/stb SYMBOLIC)
  target_sources(grove_compare_mlp PRIVATE ${_mlp_dir}/mlp_tinydnn.cpp)
  set_source_files_properties(${_mlp_dir}/mlp_tinydnn.cpp PROPERTIES
    INCLUDE_DIRECTORIES "${CMAKE_CURRENT_BINARY_DIR}/tinydnn_include"
    COMPILE_DEFINITIONS "CNN_SINGLE_THREAD;CNN_NO_SERIALIZATION"
    COMPILE_OPTIONS "-w")
  target_compile_definitions(grove_compare_mlp PRIVATE MLP_COMPARE_HAVE_TINY_DNN=1)
else()
  message(STATUS "grove: tiny-dnn (or cereal/gemmlowp/stb headers) not found; grove_compare_mlp runs without it")
endif()
