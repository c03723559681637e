#!/usr/bin/env bash
# Repeat figures: the peak RSS of `tlsdive probe --repeat 300 --interval 1ms` (text and
# --json) against the lab's flooding servers (alert-flood: 3,000 warning alerts per
# connection; empty-record-flood: 3,000 empty records) and the healthy one. Loopback only:
# the servers are `tlsdive lab` on 127.0.0.1. Output is a handful of lines.
#
# Usage: benches/repeat.sh [TLSDIVE [LAB_TLSDIVE]]
#   TLSDIVE      the binary measured (default: target/release/tlsdive, built first); give an
#                older build to compare;
#   LAB_TLSDIVE  the binary that serves the lab (default: TLSDIVE; an older build may not
#                have the flooding scenarios).
set -euo pipefail
cd "$(dirname "$0")/.."

WORK=$(mktemp -d)
LAB=
trap '[ -n "$LAB" ] && kill "$LAB" 2>/dev/null; rm -rf "$WORK"' EXIT

if [ $# -ge 1 ]; then
  TLSDIVE=$1
else
  cargo build --release --quiet --bin tlsdive
  TLSDIVE=target/release/tlsdive
fi
LAB_TLSDIVE=${2:-$TLSDIVE}
N=${N:-300}

"$LAB_TLSDIVE" lab --ca-out "$WORK/ca.pem" >"$WORK/lab.txt" 2>&1 &
LAB=$!
for _ in $(seq 300); do
  grep -q '^serving until interrupted' "$WORK/lab.txt" && break
  sleep 0.1
done

addr() { awk -v s="$1" '$1 == s { print $2 }' "$WORK/lab.txt"; }

for scenario in alert-flood empty-record-flood healthy; do
  a=$(addr "$scenario")
  [ -n "$a" ] || { echo "repeat/rss $scenario: not served by $LAB_TLSDIVE"; continue; }
  for json in "" --json; do
    start=$(date +%s.%N)
    /usr/bin/time -f '%M' -o "$WORK/rss" "$TLSDIVE" probe "$a" --ca-file "$WORK/ca.pem" \
      --repeat "$N" --interval 1ms --timeout 5s $json >"$WORK/out" 2>/dev/null || true
    end=$(date +%s.%N)
    printf 'repeat/rss %-19s %-6s %d attempts: peak RSS %6d KiB, %5.1f s, report %d bytes\n' \
      "$scenario" "${json:-text}" "$N" "$(tail -n 1 "$WORK/rss")" "$(echo "$end - $start" | bc)" \
      "$(wc -c <"$WORK/out")"
  done
done
