# grove's tree models vs scikit-learn on real data sets, same folds, accuracy / R^2 only:
# accuracy_compare.py drives both sides; grove_compare_accuracy is the grove side (needs no peer
# library to build).
add_executable(grove_compare_accuracy ${CMAKE_CURRENT_LIST_DIR}/accuracy_compare.cpp)
target_link_libraries(grove_compare_accuracy PRIVATE grove_dev)
