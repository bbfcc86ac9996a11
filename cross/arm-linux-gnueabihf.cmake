# CMake toolchain file: 32-bit ARM gateways (Debian armhf, ARMv7 with
# hardware floating point), with Debian's g++-arm-linux-gnueabihf and a
# sysroot from cross/make-sysroot armhf.
#   cmake --preset cross-armhf -DGRIDWATCH_SYSROOT="$(cross/make-sysroot armhf)"
set(GRIDWATCH_CROSS_TRIPLET arm-linux-gnueabihf)
set(GRIDWATCH_CROSS_PROCESSOR armv7l)
set(GRIDWATCH_CROSS_QEMU qemu-arm)
set(GRIDWATCH_DEB_ARCH armhf)
# GCC notes, at many std::vector and Asio calls, that the way some arguments
# are passed changed in GCC 7.1. That matters only when linking objects built
# by GCC < 7; the sysroot and our code are all GCC 12.
set(CMAKE_CXX_FLAGS_INIT "-Wno-psabi")
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
