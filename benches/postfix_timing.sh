#!/usr/bin/env bash
# One `tlsdive probe` against `posttls-finger` and `openssl s_client -starttls smtp`, as whole
# processes (hyperfine -N, 30 runs), on a real Postfix (Debian's package) on loopback; then a
# packet trace (tshark, capture filter on the port) of 30 more probes, counting the
# connections where the server's reply after its NewSessionTicket waited for our delayed ACK.
# Run as root (Postfix's master starts as root) from the project root:
#   benches/postfix_timing.sh            (RUNS=30, BIN=target/release/tlsdive, NO_BUILD=1)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root: Postfix's master starts as root"; exit 1; }
for c in hyperfine posttls-finger openssl postfix tshark python3; do
  command -v "$c" >/dev/null || { echo "missing $c (apt-get install hyperfine postfix tshark)"; exit 1; }
done
runs=${RUNS:-30}
bin=${BIN:-target/release/tlsdive}
[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet
bin=$(realpath "$bin")

# Not TMPDIR: the postfix user must reach the queue inside.
work=$(mktemp -d /tmp/tlsdive-pf-bench.XXXXXX)
chmod 755 "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
stop() {
  postfix -c "$work/config" stop >/dev/null 2>&1 || true
  [ -z "${pf:-}" ] || wait "$pf" 2>/dev/null || true
  rm -rf "$work"
}
trap stop EXIT

# A CA and a server certificate for 127.0.0.1, so tlsdive verifies as it would in real use.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=bench-ca -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=mx.bench.test \
  -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:mx.bench.test\n' >"$work/ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
  -CAcreateserial -days 2 -extfile "$work/ext" -out "$work/server.pem" 2>/dev/null
chmod 600 "$work/server.key"

mkdir -p "$work/config" "$work/queue" "$work/data"
chown postfix "$work/data"
cat >"$work/config/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $work/queue
data_directory = $work/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
myhostname = mx.bench.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
maillog_file = $work/maillog
maillog_file_prefixes = /tmp
smtpd_tls_cert_file = $work/server.pem
smtpd_tls_key_file = $work/server.key
smtpd_tls_security_level = may
EOF
cat >"$work/config/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -    - trivial-rewrite
proxymap  unix  - - n -    - proxymap
anvil     unix  - - n -    1 anvil
scache    unix  - - n -    1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
postfix -c "$work/config" check
postfix -c "$work/config" start-fg >"$work/start-fg.out" 2>&1 &
pf=$!
for _ in $(seq 1 300); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break
  sleep 0.1
done
addr=127.0.0.1:$port
probe="$bin probe $addr --ehlo bench.tlsdive.test --ca-file $work/ca.pem"

echo "== whole process, $runs runs each, real Postfix $(postconf -d -h mail_version) on $addr"
# posttls-finger reads this instance's main.cf; `-l may`: opportunistic, as Postfix sends.
export MAIL_CONFIG=$work/config
# -N: no shell in between; stdin is /dev/null (s_client then ends after the handshake).
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/runs.json" \
  "$probe" \
  "posttls-finger -c -l may [127.0.0.1]:$port" \
  "openssl s_client -starttls smtp -connect $addr -CAfile $work/ca.pem -brief" \
  >"$work/hyperfine.out" 2>&1 || { cat "$work/hyperfine.out"; exit 1; }
python3 - "$work/runs.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    t = [x * 1000 for x in r["times"]]
    name = r["command"].split()[0].split("/")[-1]
    stalled = sum(1 for x in t if x > 30)
    print(f"{name:15} median {r['median']*1000:6.2f} ms  max {max(t):6.2f} ms  "
          f"runs over 30 ms: {stalled}/{len(t)}")
PY

echo "== packet trace of $runs probes (tshark, loopback, port $port)"
tshark -i lo -f "tcp port $port" -w "$work/trace.pcapng" -q >"$work/tshark.out" 2>&1 &
shark=$!
# tshark says "Capturing on" once the capture runs; bounded wait.
for _ in $(seq 1 100); do grep -q "Capturing on" "$work/tshark.out" && break; sleep 0.1; done
for _ in $(seq 1 "$runs"); do $probe >/dev/null || true; done
sleep 0.5 # let the last segments reach the capture file before it stops
kill -INT "$shark"; wait "$shark" || true
[ -z "${TRACE_OUT:-}" ] || cp "$work/trace.pcapng" "$TRACE_OUT"
tshark -r "$work/trace.pcapng" -T fields -E separator=' ' \
  -e tcp.stream -e frame.time_relative -e tcp.srcport -e tcp.len >"$work/segments"
python3 - "$work/segments" "$port" <<'PY'
import sys, collections
port = sys.argv[2]
streams = collections.defaultdict(list)
for line in open(sys.argv[1]):
    s, t, src, n = line.split()
    streams[s].append((float(t), src == port, int(n)))
# A stall: a server data segment, then the server's next data segment more than 30 ms
# later with no data from us in between (the server was not waiting for us).
stalls, worst = 0, 0.0
for segs in streams.values():
    last_server = None
    stalled = False
    for t, from_server, n in segs:
        if n == 0:
            continue
        if from_server:
            if last_server is not None:
                gap = t - last_server
                worst = max(worst, gap)
                stalled |= gap > 0.030
            last_server = t
        else:
            last_server = None
    stalls += stalled
print(f"connections: {len(streams)}  stalled (server waited > 30 ms with nothing owed "
      f"by us): {stalls}  longest server-to-server gap: {worst*1000:.1f} ms")
PY
