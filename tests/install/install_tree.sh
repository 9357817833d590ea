#!/usr/bin/env bash
# ctest install.tree (setup of the install.* tests): `cmake --install` of the
# build tree into PREFIX, and what lands there.
# Usage: install_tree.sh BUILD_DIR PREFIX LIBDIR SOURCE_DIR
set -euo pipefail
. "$(dirname "$0")/common.sh"
build=$1 prefix=$2 libdir=$3 src=$4
rm -rf "$prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; fail "cmake --install"; }
for f in bin/respmock bin/respsmoke include/respmock.h "$libdir/librespmock.so" \
         "$libdir/pkgconfig/respmock.pc" share/man/man1/respmock.1.gz share/man/man1/respsmoke.1.gz \
         share/respmock/fixtures/README.md; do
  [ -e "$prefix/$f" ] || fail "not installed: $f"
done
for f in "$src"/fixtures/*.json; do
  cmp -s "$f" "$prefix/share/respmock/fixtures/$(basename "$f")" || fail "fixture $(basename "$f") not installed"
done
ls "$prefix/$libdir"/librespmock.so.*.*.* >/dev/null || fail "no versioned librespmock"
# the library exports its API and nothing of the server's internals
extra=$(nm -D --defined-only "$prefix/$libdir/librespmock.so" | awk '{print $3}' | grep -v '^respmock_' || true)
[ -z "$extra" ] || fail "librespmock exports more than respmock_*: $extra"
grep -q ' respmock_start$' <<<"$(nm -D --defined-only "$prefix/$libdir/librespmock.so")" || fail "respmock_start not exported"
# respmock is built on the library; nothing of the tests or the build tree is installed
grep -q 'NEEDED *librespmock\.so' <<<"$(objdump -p "$prefix/bin/respmock")" || fail "respmock does not use librespmock"
[ -z "$(find "$prefix" -name '*test*')" ] || fail "test files installed"
if grep -rqs -- "$build" "$prefix/$libdir/pkgconfig/respmock.pc"; then fail "respmock.pc names the build tree"; fi
ok "installed into $prefix"
