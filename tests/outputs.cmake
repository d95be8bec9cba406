# SPDX-License-Identifier: Apache-2.0
# Checks of the reports outside the unit tests (included by the top-level CMakeLists.txt):
#   schema/<scenario>  `fluxsim run -o json` of every shipped scenario validates against
#                      docs/report.schema.json (python3-jsonschema; skipped without it)
#   html/<scenario>    `fluxsim run -o html` loaded in headless Chromium: the page lays out its Gantt chart
#                      and every section offline (skipped without chromium)
# Debian's python3 holds python3-jsonschema; a python3 earlier on PATH (pyenv, venv) may not.
find_program(FLUXSIM_TEST_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT FLUXSIM_TEST_PYTHON)
  find_program(FLUXSIM_TEST_PYTHON NAMES python3)
endif()
if(FLUXSIM_TEST_PYTHON)
  file(GLOB FLUXSIM_SHIPPED_SCENARIOS CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/scenarios/*/*.yaml")
  list(SORT FLUXSIM_SHIPPED_SCENARIOS)
  foreach(scenario IN LISTS FLUXSIM_SHIPPED_SCENARIOS)
    file(RELATIVE_PATH rel "${CMAKE_CURRENT_SOURCE_DIR}/scenarios" "${scenario}")
    string(REGEX REPLACE "\\.yaml$" "" rel "${rel}")
    add_test(NAME "schema/${rel}"
      COMMAND "${FLUXSIM_TEST_PYTHON}" "${CMAKE_CURRENT_SOURCE_DIR}/tests/validate_report.py" "$<TARGET_FILE:fluxsim>"
              "${CMAKE_CURRENT_SOURCE_DIR}/docs/report.schema.json" "${scenario}"
      WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}")
    set_tests_properties("schema/${rel}" PROPERTIES SKIP_RETURN_CODE 77)
  endforeach()
  foreach(rel IN ITEMS production/scenario tekton/scenario)
    add_test(NAME "html/${rel}"
      COMMAND "${FLUXSIM_TEST_PYTHON}" "${CMAKE_CURRENT_SOURCE_DIR}/tests/html_render_check.py" "$<TARGET_FILE:fluxsim>"
              "${CMAKE_CURRENT_SOURCE_DIR}/scenarios/${rel}.yaml" "${CMAKE_CURRENT_BINARY_DIR}/html-check"
      WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}")
    set_tests_properties("html/${rel}" PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 180 RESOURCE_LOCK chromium)
  endforeach()
endif()
