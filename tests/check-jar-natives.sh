#!/usr/bin/env bash
# The jar carries linux-x86_64 and linux-aarch64 libraries, each the right ELF machine and
# asking for no glibc symbol version above 2.17 (native/check-so.sh). Usage: JAR
set -euo pipefail
cd "$(dirname "$0")/.."
jar=$(realpath "${1:?usage: tests/check-jar-natives.sh JAR}")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
(cd "$dir" && unzip -q "$jar" 'META-INF/native/*')
status=0
for platform in linux-x86_64 linux-aarch64; do
    so=$dir/META-INF/native/$platform/libzerocopy_jni.so
    if [ ! -f "$so" ]; then
        echo "check-jar-natives: FAIL $jar has no META-INF/native/$platform/libzerocopy_jni.so" >&2
        status=1
        continue
    fi
    bash native/check-so.sh "$so" "$platform" | sed "s|$dir/||" || status=1
done
echo "check-jar-natives: $(stat -c %s "$jar") bytes in $jar"
exit $status
