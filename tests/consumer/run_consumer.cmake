# Builds and runs tests/consumer as an outside project would: MODE=fetchcontent vendors grove
# from this repository's git history; MODE=find_package installs grove into a prefix first.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer (${MODE}): command failed (${rc}): ${ARGN}")
  endif()
endfunction()

set(args -DGROVE_CONSUMER_MODE=${MODE})
if(MODE STREQUAL "fetchcontent")
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} rev-parse HEAD
                  OUTPUT_VARIABLE sha OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer: cannot read the current commit of ${SOURCE_DIR}")
  endif()
  list(APPEND args -DGROVE_GIT_REPOSITORY=file://${SOURCE_DIR} -DGROVE_GIT_TAG=${sha})
else()
  run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
  list(APPEND args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
endif()

run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_BUILD_TYPE=Release ${args})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/grove_consumer)
