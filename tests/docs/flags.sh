#!/usr/bin/env bash
# ctest docs.flags: the flags and variables the documents name are the ones
# the binaries take. Every option of `respmock --help` (and its RESPMOCK_*
# variable) is in server/README.md and respmock(1); every option of
# `respsmoke --help` is in client/README.md and respsmoke(1); every
# `respmock --x` / `respsmoke --x` written in README.md, server/README.md,
# client/README.md, fixtures/README.md and the man pages is a real option;
# every RESPMOCK_* variable they name exists; the versions they show are the
# project's.
# Usage: flags.sh SOURCE_DIR RESPMOCK RESPSMOKE MAN_DIR VERSION
set -euo pipefail
src=$1 respmock=$2 respsmoke=$3 man=$4 version=$5
bad=0
fail() { echo "FAIL: $*" >&2; bad=1; }

mock_help=$("$respmock" --help)
smoke_help=$("$respsmoke" --help)
mock_flags=$(grep -oE '^  --[a-z][a-z-]*' <<<"$mock_help" | sed 's/^  //' | sort -u)
mock_vars=$(grep -oE '\$RESPMOCK_[A-Z_]+' <<<"$mock_help" | tr -d '$' | sort -u)
smoke_flags=$(grep -oE -- '--[a-z][a-z-]*' <<<"$smoke_help" | sort -u)
[ "$(wc -l <<<"$mock_flags")" -ge 19 ] || fail "respmock --help lists too few options: $mock_flags"
[ "$(wc -l <<<"$mock_vars")" -ge 16 ] || fail "respmock --help lists too few variables: $mock_vars"

for f in $mock_flags; do
  grep -qF -- "\`$f" "$src/server/README.md" || fail "server/README.md does not document $f"
  grep -qF -- "${f//-/\\-}" "$man/respmock.1" || fail "respmock(1) does not document $f"
done
for v in $mock_vars; do
  grep -qF -- "\`$v\`" "$src/server/README.md" || fail "server/README.md does not name $v"
  grep -qF -- "$v" "$man/respmock.1" || fail "respmock(1) does not name $v"
done
for f in $smoke_flags; do
  case $f in --api-key | --key) continue ;; esac # refused on purpose, named in the help
  grep -qF -- "\`$f" "$src/client/README.md" || fail "client/README.md does not document $f"
  grep -qF -- "${f//-/\\-}" "$man/respsmoke.1" || fail "respsmoke(1) does not document $f"
done

# "respmock --a --b" as written in the documents: every --x after the
# command name, up to a shell separator, must be an option of that command.
docs=("$src/README.md" "$src/server/README.md" "$src/client/README.md" "$src/fixtures/README.md")
uses() { # COMMAND FILES... : the --options written after COMMAND
  local cmd=$1
  shift
  sed -e 's/\\-/-/g' "$@" |
    grep -oE "(^|[ /\`(\"])$cmd( +[^|;&#\`)]*)?" |
    grep -oE -- ' --[a-z][a-z-]*' | sed 's/^ //' | sort -u || true
}
used_mock=$(uses respmock "${docs[@]}" "$man/respmock.1" "$man/respsmoke.1")
used_smoke=$(uses respsmoke "${docs[@]}" "$man/respmock.1" "$man/respsmoke.1")
[ "$(wc -l <<<"$used_mock")" -ge 5 ] || fail "found too few 'respmock --x' in the documents: $used_mock"
for f in $used_mock; do
  grep -qx -- "$f" <<<"$mock_flags" || fail "the documents write 'respmock ... $f', not an option"
done
for f in $used_smoke; do
  grep -qx -- "$f" <<<"$smoke_flags" || fail "the documents write 'respsmoke ... $f', not an option"
done

# variables: the options' own, the readiness lines', the shell example's
for v in $(grep -ohE 'RESPMOCK_[A-Z][A-Z_]*' "$src/README.md" "$src/server/README.md" "$man/respmock.1" | sort -u); do
  case $v in
    RESPMOCK_URL | RESPMOCK_PID | RESPMOCK_DEB) continue ;;                        # not options
    RESPMOCK_LOG_ERROR | RESPMOCK_LOG_WARN | RESPMOCK_LOG_INFO | RESPMOCK_LOG_DEBUG) continue ;; # respmock.h
  esac
  grep -qx -- "$v" <<<"$mock_vars" || fail "the documents name $v, which respmock does not read"
done
# the version in examples and file names (respmock_V_amd64.deb, "respmock V", librespmock.so.MAJOR.MINOR)
soname=$(cut -d. -f1,2 <<<"$version")
while read -r seen; do
  case $seen in
    respmock_"$version"_ | "respmock $version" | "respsmoke $version" | "librespmock.so.$soname") ;;
    *) fail "the documents show '$seen'; the version is $version" ;;
  esac
done < <(grep -ohE 'respmock_[0-9]+\.[0-9]+\.[0-9]+_|(respmock|respsmoke) [0-9]+\.[0-9]+\.[0-9]+|librespmock\.so\.[0-9]+(\.[0-9]+)*' \
           "$src/README.md" "$src/server/README.md" "$src/client/README.md" | sort -u)
# every Debian package scripts/deps installs is in README.md's list, and the
# source build in its GitLab example installs every library -dev package of it
# (not dpkg-dev, nor clang's fuzzing runtime: the tests need those)
deps=$(sed -n '/^PKGS=(/,/)/p' "$src/scripts/deps" | tr -d '()' | sed 's/PKGS=//' | tr ' ' '\n' | grep . | sort -u)
[ "$(wc -l <<<"$deps")" -ge 10 ] || fail "scripts/deps: too few packages read: $deps"
readme_text=$(tr '\n' ' ' <"$src/README.md")
gitlab=$(grep -E '^ +- apt-get install .*build-essential' "$src/README.md" || true)
for p in $deps; do
  grep -qE "[\` ]$p[\` ,]" <<<"$readme_text" || fail "README.md does not name the package $p (scripts/deps)"
  case $p in
    dpkg-dev | libclang-rt-*-dev) ;;
    *-dev) grep -qE " $p( |$)" <<<"$gitlab" || fail "README.md's GitLab example does not install $p" ;;
  esac
done
[ "$bad" = 0 ] || exit 1
echo "ok: respmock ... $(tr '\n' ' ' <<<"$used_mock")and respsmoke ... $(tr '\n' ' ' <<<"$used_smoke")are options"
echo "ok: $(wc -l <<<"$mock_flags") respmock options, $(wc -l <<<"$mock_vars") variables, $(wc -l <<<"$smoke_flags") respsmoke options documented"
