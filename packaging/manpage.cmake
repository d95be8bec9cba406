# SPDX-License-Identifier: Apache-2.0
# Renders the man page from the help text: `cmake -DFLUXSIM=path/to/fluxsim -DOUTPUT=fluxsim.1[.gz]
# -P manpage.cmake`. The top-level help becomes NAME, SYNOPSIS and DESCRIPTION; every command it lists
# gets a section holding its `fluxsim help COMMAND` verbatim. An OUTPUT ending in .gz is compressed.
cmake_minimum_required(VERSION 3.20)
foreach(var FLUXSIM OUTPUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "manpage.cmake: -D${var}=... is required")
  endif()
endforeach()

function(fluxsim_help out)
  execute_process(COMMAND "${FLUXSIM}" ${ARGN} OUTPUT_VARIABLE text RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "manpage.cmake: `fluxsim ${ARGN}` exited with ${status}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# Text shown as is (.nf): escape backslashes and hyphens, and protect lines starting with . or '.
function(roff_verbatim out text)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out} ".nf\n${text}.fi\n" PARENT_SCOPE)
endfunction()

fluxsim_help(main --help)
fluxsim_help(version_line --version)
string(STRIP "${version_line}" version_line)
# First line: "fluxsim X.Y.Z — what it is".
string(REGEX MATCH "^[^\n]*" first "${main}")
string(REGEX REPLACE "^fluxsim [^ ]+ — " "" what "${first}")
string(REGEX REPLACE "^[^\n]*\n\n" "" rest "${main}")
# Commands: the indented lines after "commands:".
string(REGEX MATCH "commands:\n(  [^\n]*\n)+" table "${main}")
string(REGEX MATCHALL "\n  [a-z]+ " names "${table}")

set(page ".\\\" Generated from `fluxsim --help` by packaging/manpage.cmake; do not edit.\n")
string(APPEND page ".TH FLUXSIM 1 \"\" \"${version_line}\" \"User Commands\"\n")
string(APPEND page ".SH NAME\nfluxsim \\- ${what}\n")
string(APPEND page ".SH SYNOPSIS\n.B fluxsim\n.I COMMAND\n[\\fIoptions\\fR]\n.br\n.B fluxsim help\n.I COMMAND\n.br\n.B fluxsim \\-\\-version\n")
roff_verbatim(body "${rest}")
string(APPEND page ".SH DESCRIPTION\n${body}")
string(APPEND page ".SH COMMANDS\n")
foreach(name IN LISTS names)
  string(STRIP "${name}" name)
  fluxsim_help(help help ${name})
  roff_verbatim(body "${help}")
  string(APPEND page ".SS \"fluxsim ${name}\"\n${body}")
endforeach()
string(APPEND page ".SH SEE ALSO\nThe README and docs/ of the fluxsim source tree: the scenario format, the Flux rules modelled,\nand a GitHub Actions workflow that comments on pull requests.\n")

if(OUTPUT MATCHES "\\.gz$")
  string(REGEX REPLACE "\\.gz$" "" plain "${OUTPUT}")
  file(WRITE "${plain}" "${page}")
  # gzip -n equivalent: a raw gzip stream of one file, no timestamp in it (reproducible .deb).
  file(ARCHIVE_CREATE OUTPUT "${OUTPUT}" PATHS "${plain}" FORMAT raw COMPRESSION GZip MTIME 0)
else()
  file(WRITE "${OUTPUT}" "${page}")
endif()
