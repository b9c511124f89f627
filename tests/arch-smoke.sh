#!/usr/bin/env bash
# The linux-aarch64 library, run for real: an arm64 JVM (Debian's openjdk-17, unpacked by
# .ci/setup into $ZEROCOPY_TOOLS/arm64-root) under qemu-user loads it from the jar and
#   1. runs dev.zerocopy.child.ArchSmokeMain: transferTo file->socket, splice socket->socket, tee,
#      map + close, 10 MiB each, every byte checked;
#   2. runs TeeTest and SpliceTest with -Xcheck:jni, less two tests that time a close against a
#      200 ms sleep, which emulation (10-50x slower) loses: measured here, the close came
#      before the splice had started, or before it had moved the 100 bytes. These tests are in
#      package dev.zerocopy, which the jar seals, so (as gradle testJdkN does) they run against
#      build/classes and build/resources, whose META-INF/native holds the same two libraries.
# Needs `gradle jar testClasses` first. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
tools=${ZEROCOPY_TOOLS:-$HOME/.cache/zerocopy}
root=$tools/arm64-root
java=$root/usr/lib/jvm/java-17-openjdk-arm64/bin/java
jar=$(ls build/libs/zerocopy-[0-9]*.jar 2>/dev/null | grep -v -e -sources -e -javadoc | head -n 1)
classes=build/classes/java/test
main_classes=build/classes/java/main
main_resources=build/resources/main
console=$(find "$HOME/.gradle/caches/modules-2" -name 'junit-platform-console-standalone-*.jar' 2>/dev/null | sort | tail -n 1)
if ! command -v qemu-aarch64-static >/dev/null || [ ! -x "$java" ] || [ -z "$jar" ] || [ ! -d "$classes" ] ||
        [ ! -f "$main_resources/META-INF/native/linux-aarch64/libzerocopy_jni.so" ]; then
    echo "arch-smoke: missing qemu-aarch64-static, $java, the jar, $classes or $main_resources: run .ci/setup and gradle jar testClasses"
    echo "0 passed, 1 failed"
    exit 1
fi

passed=0
failed=0
echo "==> aarch64 smoke (qemu-aarch64-static -L $root, library from $jar)"
if out=$(timeout 300 qemu-aarch64-static -L "$root" "$java" -Xcheck:jni -cp "$jar:$classes" \
        dev.zerocopy.child.ArchSmokeMain linux-aarch64 2>&1) && grep -q '^smoke OK on linux-aarch64' <<<"$out"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
fi
echo "$out"

skip='closeFromAnotherThreadEndsABlockedSpliceWithinASecond|closeAfterSomeBytesReturnsTheCountMoved'
selectors=(--select-class=dev.zerocopy.TeeTest)
for method in $(grep -A2 '@Test' tests/java/dev/zerocopy/SpliceTest.java | sed -n 's/.*void \([A-Za-z0-9_]*\)(.*/\1/p' | grep -v -E "^($skip)$"); do
    selectors+=("--select-method=dev.zerocopy.SpliceTest#$method")
done
echo "==> TeeTest and SpliceTest on aarch64 under qemu (${#selectors[@]} selectors)"
reports=$(mktemp -d)
timeout 900 qemu-aarch64-static -L "$root" "$java" -Xcheck:jni -Dzerocopy.test.jar="$jar" \
    -cp "$main_classes:$main_resources:$classes:$console" org.junit.platform.console.ConsoleLauncher execute --disable-banner \
    --disable-ansi-colors --details=summary --reports-dir="$reports" "${selectors[@]}"
report=$reports/TEST-junit-jupiter.xml
if [ -f "$report" ]; then
    read -r tests skipped failures errors < <(sed -n 's/.*<testsuite [^>]*tests="\([0-9]*\)" skipped="\([0-9]*\)" failures="\([0-9]*\)" errors="\([0-9]*\)".*/\1 \2 \3 \4/p' "$report" | head -n 1)
    passed=$((passed + tests - skipped - failures - errors))
    failed=$((failed + failures + errors))
else
    failed=$((failed + 1))
fi
rm -rf "$reports"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
