#!/usr/bin/env bash
# ctest install.embed: C programs built against the INSTALLED librespmock with
# pkg-config: tests/install/embed_min.c with exactly
# `pkg-config --cflags --libs respmock` (starts a mock, gets a 200), and the
# Check example of README.md ("Embed it in C tests"), extracted verbatim and
# built with its own documented command line.
# Usage: embed.sh PREFIX LIBDIR SOURCE_DIR
set -euo pipefail
. "$(dirname "$0")/common.sh"
prefix=$(cd "$1" && pwd -P) libdir=$2 src=$3
command -v cc >/dev/null || skip "no C compiler"
export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
flags=$(pkg-config --cflags --libs respmock) || fail "pkg-config respmock"
rpath="-Wl,-rpath,$(pkg-config --variable=libdir respmock)"
# shellcheck disable=SC2086 # the flags are words
cc -std=c11 -Wall -Wextra -Werror -o "$work/embed_min" "$src/tests/install/embed_min.c" $flags "$rpath" ||
  fail "embed_min.c does not build with: $flags"
out=$(cd / && "$work/embed_min") || fail "embed_min: $out"
case $out in *"fixtures from $prefix/share/respmock/fixtures"*"status 200"*) ;; *) fail "embed_min: $out" ;; esac
ok "a program built with \`pkg-config --cflags --libs respmock\` got a 200 ($flags)"

pkg-config --exists check libcurl || skip "check or libcurl development files missing (the rest passed)"
extract_block "$src/README.md" "tests/install/embed.sh builds and runs the next c block" c >"$work/test_chat.c"
grep -q 'respmock_start' "$work/test_chat.c" || fail "no Check example found in README.md"
build_line=$(extract_block "$src/README.md" "tests/install/embed.sh builds and runs the next c block" sh)
case $build_line in "cc test_chat.c "*) ;; *) fail "no build line after the example: $build_line" ;; esac
# shellcheck disable=SC2046
cc -Wall -Wextra -Werror -fsyntax-only "$work/test_chat.c" $(pkg-config --cflags respmock check libcurl) ||
  fail "the README example has warnings"
# the documented command, as written; the temporary prefix is found through
# the environment
out=$(cd "$work" && LD_LIBRARY_PATH="$prefix/$libdir" sh -c "$build_line" 2>&1) ||
  fail "README example: $out"
case $out in *"100%: Checks: 2, Failures: 0, Errors: 0"*) ;; *) fail "README example: $out" ;; esac
ok "the README Check example builds and passes: $build_line"
