# CPACK_PROJECT_CONFIG_FILE of cross builds (cmake/GridwatchPackaging.cmake):
# read by cpack at packaging time, when the binary exists. Sets Depends
# from the binary's NEEDED libraries and the sysroot's shlibs files.
if(CPACK_GENERATOR STREQUAL "DEB" AND CPACK_GRIDWATCH_DEPENDS_COMMAND)
  execute_process(COMMAND ${CPACK_GRIDWATCH_DEPENDS_COMMAND} ${CPACK_GRIDWATCH_BIN_DIR}/gridwatch-edge
                  OUTPUT_VARIABLE gridwatch_edge_depends
                  RESULT_VARIABLE gridwatch_depends_result
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT gridwatch_depends_result EQUAL 0)
    message(FATAL_ERROR "cross/deb-depends failed for gridwatch-edge (${gridwatch_depends_result})")
  endif()
  set(CPACK_DEBIAN_EDGE_PACKAGE_DEPENDS "${gridwatch_edge_depends}")
endif()
