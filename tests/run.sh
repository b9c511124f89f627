#!/usr/bin/env bash
# Every check zerocopy has, as CI runs it: cargo fmt, clippy, cargo test, the build files'
# Gradle 8/9 API check, the JUnit suite on JDK 11, 17, 21 and 25 (-Xcheck:jni; child JVMs
# load the library from the sealed jar), javadoc with doclint, what
# publishToMavenLocal leaves in ~/.m2, the jar's two native libraries (ELF machine, glibc 2.17)
# and the aarch64 one under qemu, and the gradle-consumer (JDK 11 and 25) and maven-consumer
# examples built against the published jar. Ends with one line: "N passed, N failed".
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

# JDK_HOME N: the JDK N that build.gradle would pick ($JDK<N>_HOME, /usr/lib/jvm, ~/.jdks).
jdk_home() {
    local var="JDK$1_HOME" home
    for home in ${!var:-} /usr/lib/jvm/* "$HOME"/.jdks/*; do
        if [ -x "$home/bin/java" ] && grep -Eq "^JAVA_VERSION=\"(1\.)?$1[.\"]" "$home/release" 2>/dev/null; then
            echo "$home"
            return
        fi
    done
    echo "/no-jdk-$1-found"  # fails the caller's check with that name in its error
}

check "Gradle 8/9 removed-API check of the build files" python3 tests/gradle-api-check.py
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

test_jdks=(11 17 21 25)
echo "==> JUnit on JDK ${test_jdks[*]} (gradle testAll)"
rm -rf build/test-results
gradle --no-daemon --console=plain -q --continue testAll publishToMavenLocal
gradle_status=$?
for major in "${test_jdks[@]}"; do
    report=build/test-results/jdk$major/TEST-junit-jupiter.xml
    if [ ! -f "$report" ]; then
        failed=$((failed + 1))
        failures+=("JUnit jdk$major: no report")
        continue
    fi
    read -r tests skipped failures_n errors < <(sed -n 's/.*<testsuite [^>]*tests="\([0-9]*\)" skipped="\([0-9]*\)" failures="\([0-9]*\)" errors="\([0-9]*\)".*/\1 \2 \3 \4/p' "$report" | head -1)
    passed=$((passed + tests - skipped - failures_n - errors))
    failed=$((failed + failures_n + errors))
    [ $((failures_n + errors)) -gt 0 ] && failures+=("JUnit jdk$major: $((failures_n + errors)) failed")
done
if [ "$gradle_status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=$((failed + 1))
    failures+=("gradle testAll/publishToMavenLocal exited with $gradle_status")
fi

# Both platforms' libraries are in the jar, for the right machine, loading on glibc 2.17+;
# the aarch64 one runs on an arm64 JVM under qemu-user (.ci/setup prepares both).
main_jar=$(ls build/libs/zerocopy-[0-9]*.jar 2>/dev/null | grep -v -e -sources -e -javadoc | head -n 1)
check "native libraries in the jar: linux-x86_64 + linux-aarch64, ELF machine, glibc <= 2.17" \
    bash tests/check-jar-natives.sh "${main_jar:-build/libs/zerocopy.jar}"
check "aarch64 under qemu: smoke (library from the jar) + TeeTest/SpliceTest (tests/arch-smoke.sh)" \
    bash tests/arch-smoke.sh

check "javadoc of the API with -Xdoclint:all, no warning (gradle javadoc)" \
    gradle --no-daemon --console=plain -q javadoc

# What publishToMavenLocal (run above with testAll) must have put where Maven and Gradle look.
published_ok() {
    local dir="$HOME/.m2/repository/dev/zerocopy/zerocopy/0.1.0" file element
    for file in zerocopy-0.1.0.jar zerocopy-0.1.0-sources.jar zerocopy-0.1.0-javadoc.jar zerocopy-0.1.0.pom; do
        [ -s "$dir/$file" ] || { echo "missing: $dir/$file"; return 1; }
    done
    for element in '<name>' '<description>' '<url>' '<license>' '<scm>' '<developer>'; do
        grep -q "$element" "$dir/zerocopy-0.1.0.pom" || { echo "POM lacks $element"; return 1; }
    done
    unzip -p "$dir/zerocopy-0.1.0.jar" META-INF/MANIFEST.MF | grep -q '^Automatic-Module-Name: dev.zerocopy' ||
        { echo "manifest lacks Automatic-Module-Name"; return 1; }
}
check "publishToMavenLocal: jar, sources, javadoc and full POM in ~/.m2" published_ok
check "examples/maven-consumer (Maven, the published coordinates)" \
    bash -c 'cd examples/maven-consumer && mvn -q -B compile exec:exec'
for major in 11 25; do
    check "examples/gradle-consumer on JDK $major (the published jar, as a user adds it)" \
        bash -c 'cd examples/gradle-consumer && gradle --no-daemon --console=plain -q runExample -Pexample.jdk="$1"' _ "$(jdk_home $major)"
done

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
