# CMake toolchain file: 64-bit ARM gateways (Debian arm64), with Debian's
# g++-aarch64-linux-gnu and a sysroot from cross/make-sysroot arm64.
#   cmake --preset cross-arm64 -DGRIDWATCH_SYSROOT="$(cross/make-sysroot arm64)"
set(GRIDWATCH_CROSS_TRIPLET aarch64-linux-gnu)
set(GRIDWATCH_CROSS_PROCESSOR aarch64)
set(GRIDWATCH_CROSS_QEMU qemu-aarch64)
set(GRIDWATCH_DEB_ARCH arm64)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
