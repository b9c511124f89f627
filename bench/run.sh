#!/usr/bin/env bash
# The full comparison behind bench/REPORT.md, bench/ratios.svg and README's headline table:
#   system  proxy (iperf3 through SpliceProxy / HAProxy) and file server (wrk, curl against
#           FileServer / nginx), across veth pairs at MTU 1500 between network namespaces and on
#           loopback, each program measured on its own CPU (bench/system.sh; root)
#   scale   relay at 1, 100, 1,000 and 10,000 concurrent connections on virtual threads (JDK 25),
#           Relay vs NIO copy relays (ScaleBench; root, for a private network namespace)
#   jmh     the JMH suite on JDK 17 and 25 and the no-JVM limit (examples/limit.rs)
#
#   bench/run.sh                 full profile, every part (~50 min on 2 cores; run it on a quiet machine)
#   bench/run.sh quick           short rounds (what tests/run.sh runs for the system part)
#   BENCH_PARTS=system,scale bench/run.sh          only some parts
#   bench/run.sh full -Pbench.include=FileToSocket  extra arguments go to `gradle bench`
#
# Parts not run are reported as not run. Build outputs stay in build/bench; only bench/REPORT.md
# and bench/ratios.svg (and README's headline table, between its markers) are rewritten.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
profile="${1:-full}"
shift || true
parts=",${BENCH_PARTS:-system,scale,jmh},"
java25=${ZEROCOPY_BENCH_JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
out=build/bench
case "$profile" in
    full) rounds=3 secs=6 big=256 counts=1,100,1000,10000 total=$((1 << 30)) ;;
    quick) rounds=1 secs=2 big=16 counts=1,100 total=$((64 << 20)) ;;
    *) echo "bench/run.sh: profile must be full or quick, not $profile" >&2; exit 2 ;;
esac

stamp() {  # stamp FILE KEY: one "KEY=load averages" line
    echo "$2=$(cut -d' ' -f1-3 /proc/loadavg) (uptime: $(uptime | sed 's/.*up/up/'))" >> "$1"
}
describe() {  # describe FILE: the machine and the versions under test
    {
        echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "machine=$(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM, Linux $(uname -r)"
        echo "java=$("$java25" -version 2>&1 | head -1)"
        command -v haproxy >/dev/null && echo "haproxy=$(haproxy -v 2>/dev/null | head -1 | cut -d' ' -f1-3)"
        command -v nginx >/dev/null && echo "nginx=$(nginx -v 2>&1 | cut -d' ' -f3)"
        echo "profile=$profile"
    } > "$1"
}

gradle --no-daemon -q jar examplesJar jmhClasses
mkdir -p "$out"

if [[ $parts == *,system,* ]]; then
    mkdir -p "$out/system"
    rm -f "$out/system/results.jsonl"
    describe "$out/system/meta.txt"
    echo "rounds=$rounds x ${secs} s per measurement; big file ${big} MiB" >> "$out/system/meta.txt"
    stamp "$out/system/meta.txt" "load at start"
    ZEROCOPY_BENCH_BIG_MIB=$big ZEROCOPY_BENCH_JAVA=$java25 bash bench/system.sh "$out/system/results.jsonl" "$rounds" "$secs" \
        || echo "bench/run.sh: the system part failed (above); the rounds it measured are reported" | tee -a "$out/system/meta.txt"
    stamp "$out/system/meta.txt" "load at end"
fi

if [[ $parts == *,scale,* ]]; then
    mkdir -p "$out/scale"
    describe "$out/scale/meta.txt"
    # Each proxied connection holds two sockets in the relay and two in ScaleBench (client and
    # upstream end); a container's hard descriptor limit may be below what 10,000 need.
    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
    limit=$(ulimit -n)
    fitted=""
    for n in ${counts//,/ }; do
        if [ $((2 * n + 1000)) -gt "$limit" ]; then
            n=$(( (limit - 1000) / 2 / 1000 * 1000 ))
            echo "fd limit=$limit descriptors per process (hard limit; root cannot raise it here): the top count is $n instead of 10,000" \
                >> "$out/scale/meta.txt"
        fi
        fitted="$fitted${fitted:+,}$n"
    done
    echo "total=$((total >> 20)) MiB per connection count; counts=$fitted" >> "$out/scale/meta.txt"
    stamp "$out/scale/meta.txt" "load at start"
    # veth: ScaleBench (clients and upstream) in one namespace, the relay in another, a veth pair
    # (MTU 1500) between them that client -> relay and relay -> upstream each cross once.
    # loopback: both in one namespace on its lo. Namespaces zcb-<pid>-*, addresses 198.18.1.0/30.
    nsa="zcb-$$-a" nsb="zcb-$$-b"
    trap 'ip netns del "$nsa" 2>/dev/null || true; ip netns del "$nsb" 2>/dev/null || true' EXIT
    ip netns add "$nsa"
    ip netns add "$nsb"
    ip -n "$nsa" link set lo up
    ip -n "$nsb" link set lo up
    ip link add "zcb-$$-a0" netns "$nsa" type veth peer name "zcb-$$-b0" netns "$nsb"
    ip -n "$nsa" addr add 198.18.1.1/30 dev "zcb-$$-a0"
    ip -n "$nsb" addr add 198.18.1.2/30 dev "zcb-$$-b0"
    ip -n "$nsa" link set "zcb-$$-a0" mtu 1500 up
    ip -n "$nsb" link set "zcb-$$-b0" mtu 1500 up
    cp="$top/build/libs/zerocopy-0.1.0.jar:$top/build/classes/java/jmh:$top/build/libs/zerocopy-examples.jar"
    relay="dev.zerocopy.bench.ScaleRelay --host {relayhost} --listen {listen} --upstream-host {loadhost} --connect {connect}"
    proxy="dev.zerocopy.examples.SpliceProxy --listen {relayhost}:{listen} --connect {loadhost}:{connect}"
    rm -f "$out/scale/results.jsonl"
    for path in ${ZEROCOPY_SCALE_PATHS:-veth loopback}; do
        case "$path" in
            veth) where=(--path "veth, MTU 1500" --relay-prefix "ip netns exec $nsb" --relay-host 198.18.1.2 --load-host 198.18.1.1) ;;
            loopback) where=(--path loopback --relay-prefix "ip netns exec $nsa") ;;
        esac
        ip netns exec "$nsa" "$java25" --enable-native-access=ALL-UNNAMED -Xmx2g -cp "$cp" dev.zerocopy.bench.ScaleBench \
            --out "$out/scale/$path.jsonl" --java "$java25" --cp "$cp" --counts "$fitted" --total "$total" "${where[@]}" \
            --config "Relay, 1 MiB pipes=$relay --mode relay --pipe-size 1048576" \
            --config "Relay, 64 KiB pipes=$relay --mode relay --pipe-size 65536" \
            --config "NIO 64 KiB=$relay --mode nio --buffer 65536" \
            --config "NIO 1 MiB=$relay --mode nio --buffer 1048576" \
            --config "Relay, Selector loop=$proxy --mode splice" \
            --config "NIO 256 KiB, Selector loop=$proxy --mode nio" \
            || echo "bench/run.sh: the scale part ($path) failed (above)" | tee -a "$out/scale/meta.txt"
        cat "$out/scale/$path.jsonl" >> "$out/scale/results.jsonl" 2>/dev/null || true
    done
    ip netns del "$nsa"
    ip netns del "$nsb"
    trap - EXIT
    stamp "$out/scale/meta.txt" "load at end"
fi

jmh_report=""
if [[ $parts == *,jmh,* ]]; then
    gradle --no-daemon -q bench -Pbench.profile="$profile" -Pbench.jdk=17,25 "$@"
    gradle --no-daemon -q benchLimit -Pbench.profile="$profile"
    gradle --no-daemon -q benchReport -Pbench.reportDir="$top/$out/jmh-report"
    jmh_report="$out/jmh-report"
fi

python3 bench/report_system.py "$out" bench $jmh_report > "$out/headline.md"
# README's tables are the ones between its markers, replaced by a run of the full profile.
if [ "$profile" = full ]; then
    python3 - "$out/headline.md" <<'EOF'
import re, sys
table = open(sys.argv[1]).read().strip()
readme = open("README.md").read()
for part in ("headline", "scale"):
    m = re.search(r"<!-- %s:start -->.*?<!-- %s:end -->" % (part, part), table, flags=re.S)
    if m:
        readme = re.sub(r"<!-- %s:start -->.*?<!-- %s:end -->" % (part, part), lambda _: m.group(0), readme, flags=re.S)
open("README.md", "w").write(readme)
EOF
fi
echo "report: bench/REPORT.md, chart: bench/ratios.svg"
