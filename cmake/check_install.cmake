# Checks that grove configures and installs with only its users' dependencies (Eigen, xtensor,
# threads), as on a machine without doctest and Google Benchmark, and that an outside project
# builds and runs against the install.
#   cmake -DSOURCE_DIR=<grove> -DWORK_DIR=<scratch dir> [-DGENERATOR=Ninja] -P cmake/check_install.cmake
if(NOT SOURCE_DIR OR NOT WORK_DIR)
  message(FATAL_ERROR "check_install: pass -DSOURCE_DIR=<grove checkout> -DWORK_DIR=<scratch directory>")
endif()
if(NOT GENERATOR)
  set(GENERATOR "Ninja")
endif()
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "check_install: ${what} failed (${rc}):\n${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "check_install: ${what}: ok")
endfunction()

# As if doctest and Google Benchmark were not installed.
set(no_test_deps -DCMAKE_DISABLE_FIND_PACKAGE_doctest=ON -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON)

# 1. A plain top-level configure (every option at its default) must succeed without them.
run("configure with default options" ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/default -G ${GENERATOR}
    -DCMAKE_BUILD_TYPE=Release ${no_test_deps})

# 2. The documented install: tests and benchmarks off, installed into a temporary prefix.
run("configure for install" ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_BUILD_TYPE=Release -DGROVE_BUILD_TESTS=OFF -DGROVE_BUILD_BENCHMARKS=OFF
    -DGROVE_BUILD_EXAMPLES=OFF ${no_test_deps})
run("install" ${CMAKE_COMMAND} --install ${WORK_DIR}/build --prefix ${WORK_DIR}/prefix)
foreach(f include/grove/grove.hpp include/grove/model_selection.hpp share/cmake/grove/grove-config.cmake
          share/cmake/grove/grove-targets.cmake)
  if(NOT EXISTS ${WORK_DIR}/prefix/${f})
    message(FATAL_ERROR "check_install: the install lacks ${f}")
  endif()
endforeach()

# 3. An outside project finds the install, builds and runs.
run("configure the consumer" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${WORK_DIR}/consumer -G ${GENERATOR}
    -DCMAKE_BUILD_TYPE=Release -DGROVE_CONSUMER_MODE=find_package -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix
    ${no_test_deps})
run("build the consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/consumer)
run("run the consumer" ${WORK_DIR}/consumer/grove_consumer)
