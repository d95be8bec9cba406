# SPDX-License-Identifier: Apache-2.0
# Runs one golden test: `cmake -DFLUXSIM=path/to/fluxsim -DEXPECTED=file.expected.txt -DSOURCE_DIR=dir
# [-DACTUAL_DIR=dir] [-DNAME=test-name] -P golden_check.cmake`.
#
# A golden file describes itself. Its first line is the command, run from SOURCE_DIR; an optional second
# line gives the expected exit code (default 0); the rest is the expected standard output, byte for byte:
#
#   $ fluxsim explain scenarios/tekton/scenario.yaml
#   # exit 0
#   fluxsim 0.1.0 explains scenario tekton (seed 1)
#   ...
#
# With the environment variable FLUXSIM_UPDATE_GOLDEN set (to anything), the file is rewritten with the
# actual output instead (header lines kept, exit code recorded), so a new golden test starts as a file
# holding only its command line. Standard error is not compared: it is shown when the test fails.
cmake_minimum_required(VERSION 3.20)

foreach(var FLUXSIM EXPECTED SOURCE_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "golden_check.cmake: -D${var}=... is required")
  endif()
endforeach()

file(READ "${EXPECTED}" golden)
string(FIND "${golden}" "\n" eol)
if(eol EQUAL -1)
  set(command_line "${golden}")
  set(rest "")
else()
  string(SUBSTRING "${golden}" 0 ${eol} command_line)
  math(EXPR start "${eol} + 1")
  string(SUBSTRING "${golden}" ${start} -1 rest)
endif()
if(NOT command_line MATCHES "^\\$ fluxsim( (.*))?$")
  message(FATAL_ERROR "${EXPECTED}:1: the first line must be the command, e.g. `$ fluxsim explain scenarios/tekton/scenario.yaml`")
endif()
set(arguments "${CMAKE_MATCH_2}")
separate_arguments(arguments UNIX_COMMAND "${arguments}")

set(expected_exit 0)
set(expected_output "${rest}")
if(rest MATCHES "^# exit ([0-9]+)\n")
  set(expected_exit ${CMAKE_MATCH_1})
  string(LENGTH "${CMAKE_MATCH_0}" header)
  string(SUBSTRING "${rest}" ${header} -1 expected_output)
elseif(rest MATCHES "^# exit ([0-9]+)$")
  set(expected_exit ${CMAKE_MATCH_1})
  set(expected_output "")
endif()

execute_process(
  COMMAND "${FLUXSIM}" ${arguments}
  WORKING_DIRECTORY "${SOURCE_DIR}"
  OUTPUT_VARIABLE actual
  ERROR_VARIABLE errors
  RESULT_VARIABLE status)

if(DEFINED ENV{FLUXSIM_UPDATE_GOLDEN})
  if(NOT status MATCHES "^[0-9]+$" OR status GREATER 1)
    message(FATAL_ERROR "${EXPECTED}: not updated: `fluxsim ${arguments}` exited with ${status}:\n${errors}")
  endif()
  set(header "${command_line}\n")
  if(NOT status EQUAL 0)
    string(APPEND header "# exit ${status}\n")
  endif()
  file(WRITE "${EXPECTED}" "${header}${actual}")
  message(STATUS "updated ${EXPECTED}")
  return()
endif()

set(failed "")
if(NOT "${status}" STREQUAL "${expected_exit}")
  set(failed "exit code ${status}, expected ${expected_exit}")
endif()
if(NOT actual STREQUAL expected_output)
  if(NOT failed STREQUAL "")
    string(APPEND failed "; ")
  endif()
  string(APPEND failed "standard output differs")
endif()
if(failed STREQUAL "")
  return()
endif()

# Show the difference: the actual output goes next to the build, never into the source tree.
if(NOT DEFINED ACTUAL_DIR)
  set(ACTUAL_DIR "${CMAKE_CURRENT_BINARY_DIR}")
endif()
if(DEFINED NAME)
  string(REGEX REPLACE "[^A-Za-z0-9_.-]" "_" name "${NAME}")
else()
  get_filename_component(name "${EXPECTED}" NAME)
endif()
file(WRITE "${ACTUAL_DIR}/${name}.expected" "${expected_output}")
file(WRITE "${ACTUAL_DIR}/${name}.actual" "${actual}")
find_program(DIFF diff)
set(shown "")
if(DIFF)
  execute_process(COMMAND "${DIFF}" -u "${ACTUAL_DIR}/${name}.expected" "${ACTUAL_DIR}/${name}.actual" OUTPUT_VARIABLE shown)
endif()
string(JOIN " " shown_command ${arguments})
message(FATAL_ERROR
  "${EXPECTED}: ${failed}\n"
  "command: fluxsim ${shown_command} (in ${SOURCE_DIR})\n"
  "actual output: ${ACTUAL_DIR}/${name}.actual\n"
  "stderr:\n${errors}\n"
  "${shown}\n"
  "If the change is intended: FLUXSIM_UPDATE_GOLDEN=1 ctest -R '^golden/' (or: cmake --build build --target update-golden)")
