#!/usr/bin/env bash
# Triage figures: destinations per second at concurrency 1, 8, 64 (benches/triage.rs, 256
# healthy lab servers in-process), then the peak RSS of `tlsdive triage --jsonl` over 1,000
# and 10,000 distinct destinations. Loopback only: the RSS runs probe 127.1.x.y:9, where
# nothing listens (each probe is a real connect answered by a reset: connect-refused), so
# no server of anyone else's is touched. Output is a handful of lines; files go to a temp dir.
#
# Then the peak RSS of a triage of a generated Postfix log of RELAYS relays (default 100,000,
# each at 127.x.y.z:9) with DOMAINS recipient domains each (default 20): what the
# per-destination state costs (it is kept until the input ends). The log is streamed from
# awk, never written to disk.
#
# Usage: benches/triage.sh            (builds tlsdive in release first)
#        TLSDIVE=path/to/tlsdive ONLY_LOG=1 benches/triage.sh   (one build, the log part only)
set -euo pipefail
cd "$(dirname "$0")/.."

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [ -z "${TLSDIVE:-}" ]; then
  cargo bench --bench triage --quiet 2>/dev/null | grep '^triage/'
  cargo build --release --quiet --bin tlsdive
  TLSDIVE=target/release/tlsdive
fi
RELAYS=${RELAYS:-100000}
DOMAINS=${DOMAINS:-20}

log() {
  awk -v n="$RELAYS" -v d="$DOMAINS" 'BEGIN {
    for (j = 0; j < d; j++) for (i = 0; i < n; i++)
      printf "Mar  3 10:15:02 mail postfix/smtp[1]: 4F3A%d: to=<u@d%d-%d.example>, relay=mx%d.example[127.%d.%d.%d]:9, dsn=4.4.2, status=deferred (lost connection with mx%d.example[127.0.0.1] while performing the TLS handshake)\n", j, j, i, i, 1 + int(i / 62500), int(i / 250) % 250, 1 + i % 250, i
  }'
}
start=$(date +%s.%N)
log | /usr/bin/time -f '%M' -o "$WORK/rss" "$TLSDIVE" triage - --jsonl --concurrency 64 \
  --connect-timeout 2s >"$WORK/out.jsonl" 2>/dev/null || true
end=$(date +%s.%N)
printf 'triage/log-rss %d relays x %d domains (%d lines): %d rows, peak RSS %d KiB, %.1f s\n' \
  "$RELAYS" "$DOMAINS" "$((RELAYS * DOMAINS))" "$(wc -l <"$WORK/out.jsonl")" \
  "$(tail -n 1 "$WORK/rss")" "$(echo "$end - $start" | bc)"
[ -n "${ONLY_LOG:-}" ] && exit 0

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
