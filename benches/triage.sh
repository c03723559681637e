#!/usr/bin/env bash
# Triage figures: destinations per second at concurrency 1, 8, 64 (benches/triage.rs, 256
# healthy lab servers in-process), then the peak RSS of `tlsdive triage --jsonl` over 1,000
# and 10,000 distinct destinations. Loopback only: the RSS runs probe 127.1.x.y:9, where
# nothing listens (each probe is a real connect answered by a reset: connect-refused), so
# no server of anyone else's is touched. Output is a handful of lines; files go to a temp dir.
#
# Usage: benches/triage.sh            (builds tlsdive in release first)
set -euo pipefail
cd "$(dirname "$0")/.."

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cargo bench --bench triage --quiet 2>/dev/null | grep '^triage/'
cargo build --release --quiet --bin tlsdive
TLSDIVE=target/release/tlsdive

for n in 1000 10000; do
  awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "127.1.%d.%d:9\n", int(i / 250), 1 + i % 250 }' >"$WORK/in.txt"
  start=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$WORK/rss" "$TLSDIVE" triage "$WORK/in.txt" --jsonl --concurrency 64 \
    --connect-timeout 2s >"$WORK/out.jsonl" 2>/dev/null || true
  end=$(date +%s.%N)
  rows=$(wc -l <"$WORK/out.jsonl")
  printf 'triage/rss %6d destinations: %d rows, peak RSS %d KiB, %.1f s\n' \
    "$n" "$rows" "$(tail -n 1 "$WORK/rss")" "$(echo "$end - $start" | bc)"
done
