# Installation: headers, libraries, the CMake package (find_package(kpool
# CONFIG)) and a pkg-config file.
include(CMakePackageConfigHelpers)

install(TARGETS kpool kpool_wdk EXPORT kpool-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/kpool DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT kpool-targets NAMESPACE kpool:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kpool)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/kpool-config.cmake.in
  ${PROJECT_BINARY_DIR}/kpool-config.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kpool)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/kpool-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/kpool-config.cmake ${PROJECT_BINARY_DIR}/kpool-config-version.cmake
  ${PROJECT_SOURCE_DIR}/cmake/kpool-helpers.cmake ${PROJECT_SOURCE_DIR}/cmake/kpool-fuzz-package.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kpool)
# kpool_add_fuzzer's corpus replayer and the fuzz targets' helpers
# (FUZZ_ASSERT, the data producer), beside the helpers that use them.
install(FILES ${PROJECT_SOURCE_DIR}/fuzz/regression_main.c ${PROJECT_SOURCE_DIR}/fuzz/fuzz_helpers.h
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kpool/fuzz)

# The .pc file finds its prefix relative to itself (${pcfiledir}), so
# `cmake --install --prefix <elsewhere>` yields a working file too.
set(KP_PC_PREFIX "\${pcfiledir}")
set(KP_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
set(KP_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(KP_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(KP_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH _kp_pc_up "/r/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/r")
  string(APPEND KP_PC_PREFIX "/${_kp_pc_up}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(KP_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/kpool.pc.in ${PROJECT_BINARY_DIR}/kpool.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/kpool.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
