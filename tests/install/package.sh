#!/usr/bin/env bash
# ctest package.deb (setup of package.readme_shell): scripts/package builds the
# .deb; its control fields, its runtime dependencies (every library the ELF
# files need comes from a package in Depends, and no -dev package is
# needed), its contents, and the unpacked tree run from /.
# Usage: package.sh SOURCE_DIR OUT_DIR PACKAGE_BUILD_DIR VERSION
set -euo pipefail
. "$(dirname "$0")/common.sh"
src=$1 out=$2 pkgbuild=$3 version=$4
command -v dpkg-deb >/dev/null && command -v dpkg-shlibdeps >/dev/null || skip "dpkg-dev is not installed"
rm -rf "$out"
RM_PACKAGE_BUILD_DIR=$pkgbuild "$src/scripts/package" --out "$out" >"$work/package.log" 2>&1 ||
  { tail -20 "$work/package.log"; fail "scripts/package"; }
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
deb="$out/respmock_${version}_${arch}.deb"
[ -f "$deb" ] || fail "no $deb: $(ls "$out")"
[ "$(tail -1 "$work/package.log")" = "$deb" ] || fail "scripts/package did not print the path last"

# control
[ "$(dpkg-deb -f "$deb" Package)" = respmock ] || fail "Package"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "Version: $(dpkg-deb -f "$deb" Version)"
[ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] || fail "Architecture"
depends=$(dpkg-deb -f "$deb" Depends)
for p in libc6 libmicrohttpd12 libjansson4 libcurl4 libwslay1 libhiredis0.14; do
  grep -Eq "(^|, )$p( |,|$)" <<<"$depends" || fail "Depends lacks $p: $depends"
done
if grep -q -- '-dev' <<<"$depends"; then fail "Depends names a -dev package: $depends"; fi
# README.md names the same packages ("its dependencies computed by dpkg-shlibdeps: ...")
names=$(sed 's/ *([^)]*)//g; s/, */\n/g' <<<"$depends" | sort | tr '\n' ' ')
readme=$(tr '\n' ' ' <"$src/README.md" | sed -n 's/.*computed by `dpkg-shlibdeps`: \([^)]*\)).*/\1/p' |
  grep -o '`[^`]*`' | tr -d '`' | sort | tr '\n' ' ')
[ "$readme" = "$names" ] || fail "README.md names '$readme' as the package's dependencies, Depends: '$names'"
grep -q "^librespmock $(cut -d. -f1,2 <<<"$version") respmock" <<<"$(dpkg-deb -I "$deb" shlibs)" ||
  fail "no shlibs entry for librespmock"
grep -q ldconfig <<<"$(dpkg-deb -I "$deb" postinst)" || fail "postinst does not run ldconfig"
ok "control: $depends"

# contents
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./||; s|/$||' | sort >"$work/contents"
for f in usr/bin/respmock usr/bin/respsmoke usr/include/respmock.h \
         "usr/lib/$multiarch/librespmock.so" "usr/lib/$multiarch/pkgconfig/respmock.pc" \
         usr/share/man/man1/respmock.1.gz usr/share/man/man1/respsmoke.1.gz \
         usr/share/respmock/fixtures/README.md; do
  grep -qx "$f" "$work/contents" || fail "the package lacks $f"
done
for f in "$src"/fixtures/*.json; do
  grep -qx "usr/share/respmock/fixtures/$(basename "$f")" "$work/contents" || fail "the package lacks $(basename "$f")"
done
if grep -Ev '^(usr|usr/(bin|include|lib|share)(/.*)?)$' "$work/contents"; then fail "files outside /usr/{bin,include,lib,share}"; fi
if grep -E 'usr/local|test' "$work/contents"; then fail "unexpected files in the package"; fi
ok "contents ($(wc -l <"$work/contents") entries)"

# every NEEDED library is librespmock itself or comes from a Depends package
dpkg-deb -x "$deb" "$work/root"
for elf in "$work/root/usr/bin/respmock" "$work/root/usr/bin/respsmoke" "$work/root/usr/lib/$multiarch"/librespmock.so.*.*.*; do
  grep -q ', stripped' <<<"$(file "$elf")" || fail "$elf is not stripped"
  for lib in $(objdump -p "$elf" | awk '$1 == "NEEDED" {print $2}'); do
    if [ -e "$work/root/usr/lib/$multiarch/$lib" ]; then continue; fi
    # (awk reads it all: an early exit would make ldconfig die of SIGPIPE under pipefail)
    path=$(ldconfig -p | awk -v l="$lib" '$1 == l && !found {print $NF; found = 1}')
    [ -n "$path" ] || fail "$lib (needed by $(basename "$elf")) is not on this machine"
    owner=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$(readlink -f "$path")" 2>/dev/null || dpkg -S "/usr$path" 2>/dev/null) ||
      fail "no package owns $path"
    owner=${owner%%:*}
    grep -Eq "(^|, )$owner( |,|$)" <<<"$depends" || fail "$lib is from $owner, which Depends lacks: $depends"
  done
done
ok "every needed library is in Depends"

# the unpacked tree works where it lands, from /
out=$(cd / && "$work/root/usr/bin/respmock" --check)
case $out in *"fixtures in $work/root/usr/share/respmock/fixtures are valid"*) ;; *) fail "unpacked --check: $out" ;; esac
[ "$(PKG_CONFIG_PATH="$work/root/usr/lib/$multiarch/pkgconfig" pkg-config --modversion respmock)" = "$version" ] ||
  fail "pkg-config --modversion of the unpacked tree"
grep -qx "respsmoke $version" <<<"$(cd / && "$work/root/usr/bin/respsmoke" --version)" || fail "unpacked respsmoke"
ok "the unpacked package runs: $deb"
