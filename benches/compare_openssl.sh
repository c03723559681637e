#!/usr/bin/env bash
# One `tlsdive probe` against one `openssl s_client -starttls smtp`, as whole processes, on
# the same loopback lab server (healthy TLS 1.3, verified against the lab CA).
# Needs hyperfine (apt-get install hyperfine); run from the project root:
#   benches/compare_openssl.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "install hyperfine (apt-get install hyperfine)"; exit 1; }
cargo build --release --quiet
bin=target/release/tlsdive
work=$(mktemp -d)
port=${PORT:-39025}
"$bin" lab --base-port "$port" --ca-out "$work/ca.pem" >"$work/lab.log" 2>&1 &
lab=$!
trap 'kill $lab 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do grep -q "serving until" "$work/lab.log" 2>/dev/null && break; sleep 0.05; done
addr=127.0.0.1:$port   # the first scenario is "healthy"
# -N: no shell in between (hyperfine gives each run /dev/null as stdin and discards its
# output), so the figures are the two programs' own; medians are printed
# below (the machine is shared: means are noisy).
hyperfine -N --warmup 5 --runs "${RUNS:-100}" \
  --export-json "$work/runs.json" \
  "$bin probe $addr --ca-file $work/ca.pem" \
  "openssl s_client -starttls smtp -connect $addr -CAfile $work/ca.pem -verify_return_error -brief" \
  2>&1
python3 - "$work/runs.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"median {r['median'] * 1000:6.2f} ms  {r['command'].split()[0].split('/')[-1]}")
PY
echo
echo "peak RSS (KiB):"
/usr/bin/time -f "tlsdive %M" "$bin" probe "$addr" --ca-file "$work/ca.pem" >/dev/null
/usr/bin/time -o "$work/time" -f "openssl %M" openssl s_client -starttls smtp -connect "$addr" -CAfile "$work/ca.pem" -brief </dev/null >/dev/null 2>&1 || true
cat "$work/time"
