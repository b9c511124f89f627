#!/usr/bin/env bash
# The full comparison behind bench/REPORT.md: the JMH suite on JDK 17 and JDK 25, the no-JVM
# limit (examples/limit.rs), then the report (bench/REPORT.md, bench/ratios.svg).
#
#   bench/run.sh            full profile (~32 min on 2 cores; run it on a quiet machine)
#   bench/run.sh quick      CI's smoke profile (~1 min)
#   bench/run.sh full -Pbench.include=FileToSocket -Pbench.args='-p size=1073741824'
#
# Extra arguments go to `gradle bench` (see build.gradle's benchmark section).
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-full}"
shift || true
gradle --no-daemon -q bench -Pbench.profile="$profile" -Pbench.jdk=17,25 "$@"
gradle --no-daemon -q benchLimit -Pbench.profile="$profile"
gradle --no-daemon -q benchReport
echo "report: bench/REPORT.md, chart: bench/ratios.svg"
