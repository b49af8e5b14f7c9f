# Installation layout and the .deb/.rpm packages (CPack). Included by the
# top-level CMakeLists.txt. Build the packages from a configured build dir:
#
#   cmake --build build && (cd build && cpack -G "DEB;RPM")
#
# gives postern_<version>_<arch>.deb and postern-<version>.<arch>.rpm; the
# version is POSTERN_VERSION_FULL (git describe, see CMakeLists.txt), the one
# `postern --version` prints. Paths under /etc are absolute so that a build
# configured with any CMAKE_INSTALL_PREFIX packages the same layout; the rest is
# relative to CPACK_PACKAGING_INSTALL_PREFIX (/usr). packaging/README.md has
# the layout, the maintainer scripts and the lintian notes.
include(GNUInstallDirs)

set(_pkg ${CMAKE_CURRENT_LIST_DIR})
set(_gen ${CMAKE_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${_gen})

# --- programs, shipped policies, config ------------------------------------------
install(TARGETS postern-milter RUNTIME DESTINATION sbin)
install(TARGETS postern-clickd RUNTIME DESTINATION sbin)
install(TARGETS postern-quarantined RUNTIME DESTINATION sbin)
install(TARGETS postern RUNTIME DESTINATION bin)
# The PDF text reader DLP starts ([dlp] pdf_reader); libpoppler-cpp comes from shlibdeps.
install(TARGETS postern-pdftext RUNTIME DESTINATION libexec/postern)
file(GLOB _policies CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/policies/*.toml)
install(FILES ${_policies} DESTINATION share/postern/policies)
# The default classifier model (tools/CMakeLists.txt trains it from the corpus).
if(POSTERN_CLASSIFIER_MODEL)
  install(FILES ${POSTERN_CLASSIFIER_MODEL} DESTINATION share/postern)
endif()
# conffiles: packaging/debian/conffiles and CPACK_RPM_USER_FILELIST below name them.
install(FILES ${_pkg}/postern.toml DESTINATION /etc/postern)
install(FILES ${_pkg}/policies-README DESTINATION /etc/postern/policies RENAME README)

# --- systemd unit: /lib/systemd/system in the .deb (Debian 12's unit dir, where
# lintian wants it), /usr/lib/systemd/system in the .rpm. Two components; the
# CPack project config file picks one per generator.
# postern-clickd.service, postern-quarantined.service and postern-quarantine-digest.timer
# are installed but not enabled (they need [click] keys, [quarantine.web] users and
# [quarantine.digest] first).
install(FILES ${_pkg}/systemd/postern.service ${_pkg}/systemd/postern-clickd.service
              ${_pkg}/systemd/postern-quarantined.service
              ${_pkg}/systemd/postern-quarantine-digest.service
              ${_pkg}/systemd/postern-quarantine-digest.timer
              ${_pkg}/systemd/postern-tls-policy.service ${_pkg}/systemd/postern-tls-policy.timer
        DESTINATION /lib/systemd/system COMPONENT unit_deb)
install(FILES ${_pkg}/systemd/postern.service ${_pkg}/systemd/postern-clickd.service
              ${_pkg}/systemd/postern-quarantined.service
              ${_pkg}/systemd/postern-quarantine-digest.service
              ${_pkg}/systemd/postern-quarantine-digest.timer
              ${_pkg}/systemd/postern-tls-policy.service ${_pkg}/systemd/postern-tls-policy.timer
        DESTINATION lib/systemd/system COMPONENT unit_rpm)

# Reference configs for shipping the event log to a SIEM (README "The event log").
install(FILES ${_pkg}/siem/vector.toml ${_pkg}/siem/filebeat.yml DESTINATION share/postern/siem)

# --- man pages and docs, compressed as Debian wants them (gzip -9n: no name or time) --
set(_gz_outputs)
foreach(page postern.1 postern.toml.5 postern-milter.8 postern-clickd.8 postern-quarantined.8)
  string(REGEX MATCH "[0-9]$" _sect ${page})
  add_custom_command(OUTPUT ${_gen}/${page}.gz
                     COMMAND sh -c "gzip -9nc '${_pkg}/man/${page}' > '${_gen}/${page}.gz'"
                     DEPENDS ${_pkg}/man/${page} VERBATIM)
  list(APPEND _gz_outputs ${_gen}/${page}.gz)
  install(FILES ${_gen}/${page}.gz DESTINATION share/man/man${_sect})
endforeach()

# A Debian-format changelog for this build (the history is git's).
execute_process(COMMAND ${GIT_EXECUTABLE} log -1 --format=%cD
                WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} OUTPUT_VARIABLE _date
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
                WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} OUTPUT_VARIABLE _commit
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT _date)
  set(_date "Thu, 26 Nov 2026 00:00:00 +0000")
  set(_commit "unknown")
endif()
set(POSTERN_MAINTAINER "postern maintainers <maintainers@users.noreply.r-seed-38b09bf3.example>")
configure_file(${_pkg}/doc/changelog.in ${_gen}/changelog @ONLY)
add_custom_command(OUTPUT ${_gen}/changelog.gz
                   COMMAND sh -c "gzip -9nc '${_gen}/changelog' > '${_gen}/changelog.gz'"
                   DEPENDS ${_gen}/changelog VERBATIM)
list(APPEND _gz_outputs ${_gen}/changelog.gz)
add_custom_target(postern_package_docs ALL DEPENDS ${_gz_outputs})

install(FILES ${CMAKE_SOURCE_DIR}/README.md ${_pkg}/doc/copyright ${_gen}/changelog.gz
              ${_pkg}/doc/postfix-main.cf ${_pkg}/doc/sendmail.mc
        DESTINATION share/doc/postern)
install(FILES ${_pkg}/README.md DESTINATION share/doc/postern RENAME README.packaging.md)
install(FILES ${_pkg}/grafana/postern.json DESTINATION share/doc/postern/grafana)

# --- CPack ------------------------------------------------------------------------
set(CPACK_PACKAGE_NAME postern)
set(CPACK_PACKAGE_VERSION ${POSTERN_VERSION_FULL})
set(CPACK_PACKAGE_VENDOR "postern")
set(CPACK_PACKAGE_CONTACT "${POSTERN_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Secure email gateway (milter) for Postfix and Sendmail")
set(CPACK_PACKAGE_DESCRIPTION "postern inspects every SMTP transaction of Postfix or Sendmail through the
milter protocol and answers accept, tag, quarantine (hold queue), reject or
tempfail, following policy files: hard rules, score thresholds and lists.
It adds verdict headers to delivered mail and writes one JSON event per
transaction. This package holds the daemon postern-milter, its systemd unit,
the click-time URL service postern-clickd and the quarantine web page
postern-quarantined (with their units, not enabled)
and the admin tool postern (offline scan, policy check, MTA setup).")
set(CPACK_RPM_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_RELOCATABLE OFF)
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_IGNORE_FILES "/build.*/;/\\\\.git")

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION mail)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# adduser: postinst creates the system user; publicsuffix: the list DMARC's
# organizational domains come from (libpsl reads it; lib/url's registrable domains too);
# the libraries (libidn2, liburiparser, ...) come from shlibdeps (rpm: autoreq).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, publicsuffix")
# [state] backend = "redis" needs a Redis server, on this host or another one
# (libsqlite3 and libhiredis themselves come from shlibdeps / autoreq).
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "redis-server")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${_pkg}/debian/postinst;${_pkg}/debian/prerm;${_pkg}/debian/postrm;${_pkg}/debian/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

cmake_host_system_information(RESULT _arch QUERY OS_PLATFORM)
set(CPACK_RPM_FILE_NAME "postern-${POSTERN_VERSION_FULL}.${_arch}.rpm")
set(CPACK_RPM_PACKAGE_LICENSE "LicenseRef-postern-unlicensed")
set(CPACK_RPM_PACKAGE_GROUP "System Environment/Daemons")
set(CPACK_RPM_PACKAGE_REQUIRES_PRE "shadow-utils")
set(CPACK_RPM_PACKAGE_REQUIRES "publicsuffix-list-dafsa")
# No /usr/lib/.build-id links: they would make two builds of postern conflict.
set(CPACK_RPM_SPEC_MORE_DEFINE "%define _build_id_links none\n%define packager ${POSTERN_MAINTAINER}")
set(CPACK_RPM_PRE_INSTALL_SCRIPT_FILE ${_pkg}/rpm/pre)
set(CPACK_RPM_POST_INSTALL_SCRIPT_FILE ${_pkg}/rpm/post)
set(CPACK_RPM_PRE_UNINSTALL_SCRIPT_FILE ${_pkg}/rpm/preun)
set(CPACK_RPM_POST_UNINSTALL_SCRIPT_FILE ${_pkg}/rpm/postun)
set(CPACK_RPM_USER_FILELIST
    "%config(noreplace) /etc/postern/postern.toml"
    "%config(noreplace) /etc/postern/policies/README")
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
    /etc /usr/sbin /usr/lib/systemd /usr/lib/systemd/system /usr/share/man /usr/share/man/man1
    /usr/share/man/man5 /usr/share/man/man8)

find_program(POSTERN_RPMBUILD rpmbuild)
if(POSTERN_RPMBUILD)
  set(CPACK_GENERATOR "DEB;RPM")
else()
  set(CPACK_GENERATOR "DEB")
endif()
# Per generator: which unit component goes in (see above).
set(POSTERN_CPACK_BINARY_DIR ${CMAKE_BINARY_DIR})
configure_file(${_pkg}/cpack-options.cmake.in ${CMAKE_BINARY_DIR}/cpack-options.cmake @ONLY)
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_BINARY_DIR}/cpack-options.cmake)
include(CPack)
