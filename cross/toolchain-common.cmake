# Shared part of the GridWatch cross toolchain files. The including file
# sets GRIDWATCH_CROSS_TRIPLET, GRIDWATCH_CROSS_PROCESSOR and
# GRIDWATCH_CROSS_QEMU before including this one.
#
# The sysroot comes from cross/make-sysroot: pass -DGRIDWATCH_SYSROOT=DIR
# or set the environment variable GRIDWATCH_SYSROOT.
if(NOT GRIDWATCH_SYSROOT AND DEFINED ENV{GRIDWATCH_SYSROOT})
  set(GRIDWATCH_SYSROOT "$ENV{GRIDWATCH_SYSROOT}")
endif()
if(NOT GRIDWATCH_SYSROOT OR NOT EXISTS "${GRIDWATCH_SYSROOT}/usr/include")
  message(FATAL_ERROR "GRIDWATCH_SYSROOT is not set to a sysroot (got '${GRIDWATCH_SYSROOT}'): "
                      "run cross/make-sysroot and pass its output as -DGRIDWATCH_SYSROOT=...")
endif()
# Toolchain files are read again for try_compile projects; pass the
# sysroot on to them.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES GRIDWATCH_SYSROOT)

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${GRIDWATCH_CROSS_PROCESSOR})
set(CMAKE_LIBRARY_ARCHITECTURE ${GRIDWATCH_CROSS_TRIPLET})

set(CMAKE_C_COMPILER ${GRIDWATCH_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${GRIDWATCH_CROSS_TRIPLET}-g++)
set(CMAKE_SYSROOT "${GRIDWATCH_SYSROOT}")

# Headers, libraries and CMake package configs only from the sysroot;
# programs (pkg-config, protoc...) from the host.
set(CMAKE_FIND_ROOT_PATH "${GRIDWATCH_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config reads the sysroot's .pc files and prefixes their paths.
set(ENV{PKG_CONFIG_LIBDIR}
    "${GRIDWATCH_SYSROOT}/usr/lib/${GRIDWATCH_CROSS_TRIPLET}/pkgconfig:${GRIDWATCH_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${GRIDWATCH_SYSROOT}")
set(ENV{PKG_CONFIG_PATH} "")

# The target's shared libraries are not in the host's loader path: let the
# linker find indirect dependencies (libopencv_* -> libblas.so.3 ...) in
# the sysroot.
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "-Wl,-rpath-link,${GRIDWATCH_SYSROOT}/usr/lib/${GRIDWATCH_CROSS_TRIPLET}:${GRIDWATCH_SYSROOT}/lib/${GRIDWATCH_CROSS_TRIPLET}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${CMAKE_EXE_LINKER_FLAGS_INIT}")

# ctest (and catch_discover_tests, which lists each suite's test cases at
# build time) run target binaries through qemu-user with the sysroot as
# their root for the dynamic loader and libraries.
set(CMAKE_CROSSCOMPILING_EMULATOR "${GRIDWATCH_CROSS_QEMU};-L;${GRIDWATCH_SYSROOT}")
