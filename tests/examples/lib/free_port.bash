# Sourced by the example tests: free_port prints a TCP port that nothing holds, chosen below the
# kernel's ephemeral range (ip_local_port_range), so no client connection can take it between
# this check and the server's bind.
free_port() {
    python3 - <<'PY'
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(200):
    port = random.randrange(10000, low)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        print(port)
        break
    except OSError:
        pass
    finally:
        s.close()
PY
}
