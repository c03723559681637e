#!/usr/bin/env bash
# Full TLS profile of one loopback server by tlsdive and by each other scanner installed
# (sslscan, sslyze, testssl.sh): wall time and connections, side by side.
#
# The server: `openssl s_server` (TLS 1.0 to 1.3, a mix of ECDHE/RSA, GCM/CBC suites,
# three groups, server preference) behind the lab's STARTTLS front (benches/scan_front.rs),
# which counts every connection it accepts. Loopback only. Not part of CI: install the
# other tools by hand (apt-get install sslscan testssl.sh; pip install sslyze).
#
# Usage: benches/scan_compare.sh            (builds tlsdive in release first)
set -euo pipefail
cd "$(dirname "$0")/.."

WORK=$(mktemp -d)
cleanup() {
  [ -n "${FRONT_PID:-}" ] && kill "$FRONT_PID" 2>/dev/null || true
  [ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

cargo build --release --quiet
cargo bench --bench scan_front --no-run --quiet 2>/dev/null
TLSDIVE=target/release/tlsdive

# --- the server -------------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 \
  -keyout "$WORK/k.pem" -out "$WORK/c.pem" 2>/dev/null
CIPHERS='ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA:AES256-GCM-SHA384:AES128-SHA:AES256-SHA:@SECLEVEL=0'
SUITES13='TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256'
# s_server reads stdin; a FIFO held open read-write never reaches EOF.
mkfifo "$WORK/stdin"
exec 3<>"$WORK/stdin"
openssl s_server -accept 127.0.0.1:0 -cert "$WORK/c.pem" -key "$WORK/k.pem" \
  -min_protocol TLSv1 -max_protocol TLSv1.3 -cipher "$CIPHERS" -ciphersuites "$SUITES13" \
  -groups X25519:P-256:P-384 -serverpref <&3 >"$WORK/s_server.out" 2>&1 &
SERVER_PID=$!
for _ in $(seq 50); do grep -q '^ACCEPT' "$WORK/s_server.out" 2>/dev/null && break; sleep 0.1; done
BACKEND=$(sed -n 's/^ACCEPT //p' "$WORK/s_server.out" | head -1)

# --- the counting front -----------------------------------------------------------------
coproc FRONT { SCAN_BACKEND="$BACKEND" cargo bench --bench scan_front --quiet 2>/dev/null; }
FRONT_PID=$FRONT_PID
read -r _ ADDR <&"${FRONT[0]}"
PORT=${ADDR##*:}
count() { echo >&"${FRONT[1]}"; read -r n <&"${FRONT[0]}"; echo "$n"; }

now_ms() { date +%s%3N; }
ROWS=()
run() { # name, command...
  local name=$1; shift
  local before after t0 t1
  before=$(count)
  t0=$(now_ms)
  "$@" >"$WORK/$name.out" 2>&1 || true
  t1=$(now_ms)
  after=$(count)
  ROWS+=("$(printf '%-12s %9s ms %8s connections' "$name" $((t1 - t0)) $((after - before)))")
}

run tlsdive "$TLSDIVE" scan "127.0.0.1:$PORT" --json
command -v sslscan >/dev/null && run sslscan sslscan --no-colour --starttls-smtp "127.0.0.1:$PORT"
command -v sslyze >/dev/null && run sslyze sslyze --starttls smtp --sslv2 --sslv3 --tlsv1 \
  --tlsv1_1 --tlsv1_2 --tlsv1_3 --elliptic_curves "127.0.0.1:$PORT"
TESTSSL=$(command -v testssl.sh || command -v testssl || true)
[ -n "$TESTSSL" ] && run testssl.sh "$TESTSSL" --warnings batch --color 0 --starttls smtp -p -e \
  "127.0.0.1:$PORT"

echo "server: s_server TLS 1.0-1.3, ciphers $CIPHERS, TLS 1.3 $SUITES13, groups X25519:P-256:P-384, -serverpref"
printf '%s\n' "${ROWS[@]}"
echo
echo "tlsdive findings:"
python3 - "$WORK/tlsdive.out" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
for v in p["versions"]:
    print(f'  {v["version"]:8} {"yes" if v["accepted"] else "no ":3} {", ".join(v["cipher_suites"])}')
for g in p["groups"]:
    print(f'  groups {g["version"]}: {", ".join(g["groups"])}')
print("  verdict:", p["verdict"])
PY
if [ -n "${KEEP_OUTPUT:-}" ]; then mkdir -p "$KEEP_OUTPUT" && cp "$WORK"/*.out "$KEEP_OUTPUT"/; fi
