# SPDX-License-Identifier: Apache-2.0
# Golden tests (included by the top-level CMakeLists.txt): every scenarios/**/*.expected.txt and
# tests/golden/*.expected.txt is one CTest test, `golden/<path>`, that runs the command on the file's
# first line and compares standard output and exit code (see tests/golden_check.cmake for the format).
#
#   ctest --test-dir build -R '^golden/'                     run them
#   cmake --build build --target update-golden               rewrite them all from the current binary
#   FLUXSIM_UPDATE_GOLDEN=1 ctest --test-dir build -R NAME   rewrite one
file(GLOB_RECURSE FLUXSIM_GOLDEN_FILES CONFIGURE_DEPENDS
  "${CMAKE_CURRENT_SOURCE_DIR}/scenarios/*.expected.txt"
  "${CMAKE_CURRENT_SOURCE_DIR}/tests/golden/*.expected.txt")
list(SORT FLUXSIM_GOLDEN_FILES)
set(FLUXSIM_GOLDEN_ACTUAL "${CMAKE_CURRENT_BINARY_DIR}/golden")
file(MAKE_DIRECTORY "${FLUXSIM_GOLDEN_ACTUAL}")

function(fluxsim_golden_test name expected)
  add_test(NAME "${name}"
    COMMAND "${CMAKE_COMMAND}"
      "-DFLUXSIM=$<TARGET_FILE:fluxsim>" "-DEXPECTED=${expected}" "-DSOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR}"
      "-DACTUAL_DIR=${FLUXSIM_GOLDEN_ACTUAL}" "-DNAME=${name}" -P "${CMAKE_CURRENT_SOURCE_DIR}/tests/golden_check.cmake")
endfunction()

foreach(expected IN LISTS FLUXSIM_GOLDEN_FILES)
  file(RELATIVE_PATH rel "${CMAKE_CURRENT_SOURCE_DIR}" "${expected}")
  string(REGEX REPLACE "\\.expected\\.txt$" "" rel "${rel}")
  fluxsim_golden_test("golden/${rel}" "${expected}")
endforeach()

# The machinery checks itself: a golden that matches passes, one that does not fails.
fluxsim_golden_test(golden-selftest/match "${CMAKE_CURRENT_SOURCE_DIR}/tests/golden/selftest/match.golden")
fluxsim_golden_test(golden-selftest/mismatch "${CMAKE_CURRENT_SOURCE_DIR}/tests/golden/selftest/mismatch.golden")
set_tests_properties(golden-selftest/mismatch PROPERTIES WILL_FAIL TRUE)

add_custom_target(update-golden
  COMMAND "${CMAKE_COMMAND}" -E env FLUXSIM_UPDATE_GOLDEN=1 "${CMAKE_CTEST_COMMAND}" -R "^golden/" --output-on-failure
  WORKING_DIRECTORY "${CMAKE_BINARY_DIR}"
  DEPENDS fluxsim
  COMMENT "Rewriting every golden file from the current fluxsim")
