# grove's CSV reader vs pandas.read_csv: csv_load.cpp is the grove side (and writes the test file);
# csv_pandas.py drives both in one run. The peer is Python, checked by the script at run time, so
# the program itself needs nothing but grove.
add_executable(grove_compare_csv_load ${CMAKE_CURRENT_LIST_DIR}/csv_load.cpp)
target_link_libraries(grove_compare_csv_load PRIVATE grove_dev)
