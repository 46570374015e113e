# grove's grid_search vs scikit-learn's GridSearchCV over HistGradientBoostingClassifier:
# grid_search_compare.py drives both sides on the same data and the same folds;
# grove_compare_grid_search is the grove side (needs no peer library to build).
add_executable(grove_compare_grid_search ${CMAKE_CURRENT_LIST_DIR}/grid_search_compare.cpp)
target_link_libraries(grove_compare_grid_search PRIVATE grove_fast)
