#!/usr/bin/env bash
# A short run of bench/system.sh's NIC-like path so it cannot rot: network namespaces joined by
# veth pairs (MTU 1500), iperf3 through SpliceProxy (splice, nio) and HAProxy (splice, no splice),
# wrk against FileServer (sendfile, nio) and nginx (sendfile on, off), one round of about a second
# each. Checks that every program moved bytes and was measured on its own CPU, that the MTU
# really was 1500, and that the namespaces are gone afterwards, also after a SIGTERM mid-run.
# Needs root (namespaces); ends with "N passed, N failed".
set -uo pipefail
top="$(cd "$(dirname "$0")/../.." && pwd)"
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
if [ "$(id -u)" -ne 0 ]; then
    echo "skip: bench/system.sh needs root for network namespaces"
    echo "0 passed, 0 failed"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gone() { ! ip netns list | grep -q "^zcb-$(( $1 % 100000 ))-"; }

ZEROCOPY_BENCH_PATHS=netns ZEROCOPY_BENCH_SMOKE=1 bash "$top/bench/system.sh" "$work/results.jsonl" 1 1 > "$work/log" 2>&1 &
pid=$!
mtu=""
for _ in $(seq 1 100); do
    mtu=$(ip -n "zcb-$((pid % 100000))-p" -o link show "zcb-$((pid % 100000))-p0" 2>/dev/null | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
    [ -n "$mtu" ] && break
    sleep 0.1
done
wait "$pid"
status=$?
[ "$status" -eq 0 ] && ok "bench/system.sh (netns, smoke) exited 0" || bad "bench/system.sh exited $status: $(tail -5 "$work/log")"
[ "$mtu" = 1500 ] && ok "the proxy's veth has MTU 1500" || bad "the proxy's veth MTU was '${mtu}'"
gone "$pid" && ok "namespaces removed after the run" || bad "namespaces left: $(ip netns list | grep zcb-)"

expected=("proxy SpliceProxy splice" "proxy SpliceProxy nio" "server FileServer sendfile" "server FileServer nio")
command -v haproxy >/dev/null && expected+=("proxy HAProxy splice" "proxy HAProxy no-splice")
command -v nginx >/dev/null && expected+=("server nginx sendfile" "server nginx no-sendfile")
for want in "${expected[@]}"; do
    if python3 - "$work/results.jsonl" "$want" <<'EOF'
import json, sys
scenario, impl = sys.argv[2].split(" ", 1)
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if r["scenario"] == scenario and r["impl"] == impl and r["path"] == "netns"]
sys.exit(0 if rows and all(r["bytes"] > 0 and r["proc_cpu_s"] > 0 and r["machine_cpu_s"] > 0 for r in rows) else 1)
EOF
    then
        ok "$want across veth: bytes moved, its own CPU measured"
    else
        bad "$want across veth: no measured row ($(grep -c . "$work/results.jsonl" 2>/dev/null) rows; $(tail -3 "$work/log"))"
    fi
done

# Cleanup on failure: a run stopped by SIGTERM while its proxies run removes its namespaces too.
ZEROCOPY_BENCH_PATHS=netns ZEROCOPY_BENCH_SMOKE=1 bash "$top/bench/system.sh" "$work/killed.jsonl" 1 5 > "$work/killed.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do grep -q "^proxy" "$work/killed.log" 2>/dev/null && break; sleep 0.1; done
kill -TERM "$pid"
wait "$pid"
for _ in $(seq 1 100); do gone "$pid" && break; sleep 0.1; done
gone "$pid" && ok "namespaces removed after SIGTERM mid-run" || bad "SIGTERM left namespaces: $(ip netns list | grep zcb-)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
