#!/usr/bin/env bash
# Runs one example program against the built jar: examples/run-example.sh FileServer --root . --port 8080
# Builds first if the jars are missing. JAVA (default: java on PATH) picks the JDK.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
name=${1:?usage: examples/run-example.sh NAME [ARGS...]}
shift
jar="$top/build/libs/zerocopy-0.1.0.jar"
examples="$top/build/libs/zerocopy-examples.jar"
if [ ! -f "$jar" ] || [ ! -f "$examples" ]; then
    (cd "$top" && gradle --no-daemon -q jar examplesJar >&2)
fi
java=${JAVA:-java}
flags=()
if [ "$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')" -ge 22 ] 2>/dev/null; then
    flags+=(--enable-native-access=ALL-UNNAMED)
fi
exec "$java" "${flags[@]}" -cp "$jar:$examples" "dev.zerocopy.examples.$name" "$@"
