# SPDX-License-Identifier: Apache-2.0
# Installing fluxsim (included by the top-level CMakeLists.txt):
#   cmake --install build [--prefix /usr/local]     bin/fluxsim, share/man/man1/fluxsim.1.gz, completions
#   cd build && cpack -G DEB                        fluxsim_<version>_<arch>.deb, Depends computed by dpkg-shlibdeps
include(GNUInstallDirs)

install(TARGETS fluxsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The man page is the help text itself (`fluxsim --help` and every `fluxsim help COMMAND`), rendered by
# packaging/manpage.cmake each time fluxsim is rebuilt, so it never drifts from the binary.
if(FLUXSIM_MANPAGE)
  set(FLUXSIM_MANPAGE_FILE "${CMAKE_CURRENT_BINARY_DIR}/fluxsim.1.gz")
  add_custom_command(OUTPUT "${FLUXSIM_MANPAGE_FILE}"
    COMMAND "${CMAKE_COMMAND}" "-DFLUXSIM=$<TARGET_FILE:fluxsim>" "-DOUTPUT=${FLUXSIM_MANPAGE_FILE}"
            -P "${CMAKE_CURRENT_SOURCE_DIR}/packaging/manpage.cmake"
    DEPENDS fluxsim "${CMAKE_CURRENT_SOURCE_DIR}/packaging/manpage.cmake"
    COMMENT "Generating the man page fluxsim.1 from fluxsim --help"
    VERBATIM)
  add_custom_target(fluxsim_manpage ALL DEPENDS "${FLUXSIM_MANPAGE_FILE}")
  install(FILES "${FLUXSIM_MANPAGE_FILE}" DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

# Completions: both ask the installed fluxsim for its commands and options, so they never drift either.
install(FILES packaging/fluxsim.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME fluxsim)
# zsh looks in share/zsh/site-functions under /usr/local, and Debian's in share/zsh/vendor-completions
# for packages; decided at install time, as cpack installs under /usr.
install(CODE "
  set(fluxsim_zsh_dir \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATADIR}/zsh/site-functions\")
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(fluxsim_zsh_dir \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions\")
  endif()
  file(INSTALL DESTINATION \"\${fluxsim_zsh_dir}\" TYPE FILE FILES \"${CMAKE_CURRENT_SOURCE_DIR}/packaging/_fluxsim\")
")

# A .deb for CI runners that should not compile: `cpack -G DEB` in the build directory. Depends is
# computed from the binary's shared libraries (dpkg-shlibdeps, part of build-essential), so it stays
# right when a library changes.
set(CPACK_PACKAGE_NAME fluxsim)
set(CPACK_PACKAGE_VENDOR "fluxsim")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
  "fluxsim predicts how a Flux CD rollout unfolds (in what order, in which parallel phases, and how long until "
  "everything is Ready) without a cluster: it reads a Git repository's Flux Kustomizations and replays what "
  "kustomize-controller, source-controller and helm-controller would do on a from-scratch bootstrap.")
set(CPACK_PACKAGE_CONTACT "fluxsim maintainers <maintainers@users.noreply.r-seed-f8ecb3c3.example>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "graphviz")  # renders `fluxsim graph -o dot`
include(CPack)
