#!/usr/bin/env bash
# native/check-so.sh [--any-glibc] FILE linux-<arch>
# Fails unless FILE is an ELF shared object for <arch> (x86_64: EM_X86_64, aarch64:
# EM_AARCH64) that asks for no glibc symbol version above 2.17, the oldest glibc the jar
# promises to load on (RHEL 7/8, Ubuntu 20.04, Amazon Linux 2). readelf reads any
# architecture's ELF, unlike Debian's x86-only objdump. Prints one line of facts.
set -euo pipefail
any_glibc=0
if [ "${1:-}" = "--any-glibc" ]; then
    any_glibc=1
    shift
fi
file=${1:?usage: native/check-so.sh [--any-glibc] FILE linux-<arch>}
platform=${2:?usage: native/check-so.sh [--any-glibc] FILE linux-<arch>}
ceiling=2.17

case "$platform" in
    linux-x86_64) want_machine='Advanced Micro Devices X86-64' ;;
    linux-aarch64) want_machine='AArch64' ;;
    *) echo "check-so: unknown platform $platform" >&2; exit 1 ;;
esac
header=$(LC_ALL=C readelf -h "$file")
machine=$(sed -n 's/^ *Machine: *//p' <<<"$header")
type=$(sed -n 's/^ *Type: *\([A-Z]*\).*/\1/p' <<<"$header")
class=$(sed -n 's/^ *Class: *//p' <<<"$header")
if [ "$machine" != "$want_machine" ] || [ "$type" != DYN ] || [ "$class" != ELF64 ]; then
    echo "check-so: FAIL $file: $class $type for '$machine'; $platform needs ELF64 DYN for '$want_machine'" >&2
    exit 1
fi
# The versions the library needs from the C library (.gnu.version_r), not the ones it defines.
versions=$(LC_ALL=C readelf -V -W "$file" | sed -n 's/.*Name: GLIBC_\([0-9.]*\) .*/\1/p' | sort -u -V)
highest=$(tail -n 1 <<<"$versions")
size=$(stat -L -c %s "$file")
if [ -z "$highest" ]; then
    echo "check-so: FAIL $file: no GLIBC_ version needs found (not a glibc-linked library?)" >&2
    exit 1
fi
above=()
for v in $versions; do
    [ "$v" != "$ceiling" ] && [ "$(printf '%s\n%s\n' "$v" "$ceiling" | sort -V | tail -n 1)" = "$v" ] && above+=("$v")
done
if [ "$any_glibc" = 0 ] && [ ${#above[@]} -gt 0 ]; then
    echo "check-so: FAIL $file: needs GLIBC_$highest, above $ceiling: ${above[*]}; symbols:" >&2
    pattern=$(printf 'GLIBC_%s|' "${above[@]}")
    LC_ALL=C readelf --dyn-syms -W "$file" | grep -E "@(${pattern%|})( |$)" >&2 || true
    exit 1
fi
echo "check-so: ok $file: $platform ($machine), highest glibc version needed GLIBC_$highest, $size bytes"
