# grove's trees vs XGBoost and scikit-learn: trees_compare.py drives both sides on the same data;
# grove_compare_trees is the grove side (plus XGBoost's C API single-row latency). Built only when
# libxgboost and its C API header are found.
find_library(GROVE_XGBOOST_LIB xgboost)
find_path(GROVE_XGBOOST_INCLUDE xgboost/c_api.h)
if(NOT GROVE_XGBOOST_LIB OR NOT GROVE_XGBOOST_INCLUDE)
  message(STATUS "grove: libxgboost not found; grove_compare_trees is not built")
  return()
endif()

set(_trees_dir ${CMAKE_CURRENT_LIST_DIR})
add_executable(grove_compare_trees ${_trees_dir}/trees_compare.cpp ${_trees_dir}/trees_xgb_capi.cpp)
target_link_libraries(grove_compare_trees PRIVATE grove::grove ${GROVE_XGBOOST_LIB})
target_include_directories(grove_compare_trees PRIVATE ${GROVE_XGBOOST_INCLUDE})
# grove's translation unit gets grove's warning flags; XGBoost's header is not ours to police.
set_source_files_properties(${_trees_dir}/trees_compare.cpp PROPERTIES
  COMPILE_OPTIONS "-Wall;-Wextra;-Wpedantic;-Werror")
if(GROVE_SANITIZE)
  target_compile_options(grove_compare_trees PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(grove_compare_trees PRIVATE -fsanitize=address,undefined)
endif()
