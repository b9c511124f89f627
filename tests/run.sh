#!/usr/bin/env bash
# Every check zerocopy has, as CI runs it: cargo fmt, clippy, cargo test, the JUnit suite on
# JDK 17 and JDK 25 (-Xcheck:jni; child JVMs load the library from the sealed jar), javadoc
# with doclint, and the gradle-consumer
# example built against the published jar. Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

passed=0
failed=0
failures=()

check() {  # check NAME COMMAND...: one pass/fail for a command that is not a test runner
    local name=$1
    shift
    echo "==> $name"
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures+=("$name")
    fi
}

check "cargo fmt --check" cargo fmt --all -- --check
check "cargo clippy" cargo clippy --all-targets -- -D warnings

echo "==> cargo test"
cargo_log=$(mktemp)
cargo test --all-targets 2>&1 | tee "$cargo_log"
cargo_status=${PIPESTATUS[0]}
read -r rust_passed rust_failed < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } } END { print p + 0, f + 0 }' "$cargo_log")
rm -f "$cargo_log"
passed=$((passed + rust_passed))
failed=$((failed + rust_failed))
if [ "$cargo_status" -ne 0 ] && [ "$rust_failed" -eq 0 ]; then
    failed=$((failed + 1))
    failures+=("cargo test (did not run to the end)")
fi
[ "$rust_failed" -gt 0 ] && failures+=("cargo test: $rust_failed failed")

echo "==> JUnit on JDK 17 and 25 (gradle testAll)"
gradle --no-daemon --console=plain -q --continue testAll publishToMavenLocal
gradle_status=$?
java_counts=0
for report in build/test-results/jdk*/TEST-junit-jupiter.xml; do
    [ -f "$report" ] || continue
    java_counts=1
    read -r tests skipped failures_n errors < <(sed -n 's/.*<testsuite [^>]*tests="\([0-9]*\)" skipped="\([0-9]*\)" failures="\([0-9]*\)" errors="\([0-9]*\)".*/\1 \2 \3 \4/p' "$report" | head -1)
    passed=$((passed + tests - skipped - failures_n - errors))
    failed=$((failed + failures_n + errors))
    [ $((failures_n + errors)) -gt 0 ] && failures+=("JUnit $(basename "$(dirname "$report")"): $((failures_n + errors)) failed")
done
if [ "$gradle_status" -ne 0 ] || [ "$java_counts" -eq 0 ]; then
    if [ "$java_counts" -eq 0 ] || [ "$failed" -eq 0 ]; then
        failed=$((failed + 1))
        failures+=("gradle testAll/publishToMavenLocal exited with $gradle_status")
    fi
fi

check "javadoc of the API with -Xdoclint:all, no warning (gradle javadoc)" \
    gradle --no-daemon --console=plain -q javadoc

check "examples/gradle-consumer (the published jar, as a user adds it)" \
    bash -c 'cd examples/gradle-consumer && gradle --no-daemon --console=plain -q runExample'

# The example programs, driven by real clients (curl); each script ends with "N passed, N failed".
gradle --no-daemon --console=plain -q examplesJar
for script in tests/examples/*.sh; do
    echo "==> $script"
    log=$(mktemp)
    bash "$script" 2>&1 | tee "$log"
    read -r p f < <(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log" | tail -1)
    rm -f "$log"
    if [ -z "${p:-}" ]; then
        failed=$((failed + 1))
        failures+=("$script (no summary line)")
    else
        passed=$((passed + p))
        failed=$((failed + f))
        [ "$f" -gt 0 ] && failures+=("$script: $f failed")
    fi
    unset p f
done

check "JMH smoke: every benchmark, one short iteration, JDK 17 and 25 (gradle bench -Pbench.profile=quick)" \
    gradle --no-daemon --console=plain -q bench -Pbench.profile=quick

if [ ${#failures[@]} -gt 0 ]; then
    echo "Failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
