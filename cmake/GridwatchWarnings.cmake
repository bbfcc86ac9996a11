# Compiler settings every GridWatch target shares.
add_library(gridwatch_build_flags INTERFACE)
target_compile_options(gridwatch_build_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
  -Wimplicit-fallthrough -Wformat=2)
if(GRIDWATCH_WERROR)
  target_compile_options(gridwatch_build_flags INTERFACE -Werror)
endif()
if(GRIDWATCH_SANITIZE)
  target_compile_options(gridwatch_build_flags INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(gridwatch_build_flags INTERFACE -fsanitize=address,undefined)
endif()

# -Wnull-dereference is left out: at -O2 GCC 12 reports it inside inlined
# Boost.Asio code, which no amount of care on our side can silence.
