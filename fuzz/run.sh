#!/usr/bin/env bash
# Run one fuzz target on the stable toolchain, bounded in time. Not part of CI (.ci/run).
#
#   fuzz/run.sh TARGET [SECONDS] [LIBFUZZER-FLAG...]     SECONDS defaults to 300
#   fuzz/run.sh smtp_reply 900 -runs=10000000            stops at whichever comes first
#
# Targets (fuzz/Cargo.toml): wire_tracker, scan_answer, smtp_reply, recording, cert_pem.
#
# cargo-fuzz asks for nightly only for -Z flags: RUSTC_BOOTSTRAP=1 lets stable take them.
# `-s none` skips AddressSanitizer: the crate forbids unsafe code, so what we hunt is
# panics, overflows (-a keeps debug assertions and overflow checks on), hangs and memory
# growth (-rss_limit_mb).
#
# The corpus lives in fuzz/corpus/TARGET (local, git-ignored). An empty one is seeded from
# assets/ where that helps: recordings from assets/scenarios, TLS flights from
# assets/handshakes, certificates and keys made with openssl.
# A crash lands in fuzz/artifacts/TARGET/; replay it with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run -s none -a TARGET fuzz/artifacts/TARGET/crash-...
# then add its bytes as a unit test beside the parser, fix, and run again.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: fuzz/run.sh TARGET [SECONDS] [LIBFUZZER-FLAG...]" >&2
  exit 2
fi
target=$1
seconds=${2:-300}
shift $(($# < 2 ? $# : 2))

cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

corpus=corpus/$target
mkdir -p "$corpus" "artifacts/$target" target

seed() {
  case $target in
    recording)
      # Each whole recording, and each of its events alone.
      for f in ../assets/scenarios/*.jsonl; do
        cp "$f" "$corpus/$(basename "$f")"
        split -l 1 -d -a 3 "$f" "$corpus/$(basename "$f" .jsonl)-"
      done
      ;;
    wire_tracker)
      # One script per recorded handshake: control byte = (length - 1) << 1 | direction.
      command -v python3 >/dev/null 2>&1 || return 0
      python3 - "$corpus" ../assets/handshakes/*.hex <<'EOF'
import pathlib, sys
out = pathlib.Path(sys.argv[1])
for name in sys.argv[2:]:
    script = bytearray()
    for line in open(name):
        if line[:2] not in ("C ", "S "):
            continue
        data = bytes.fromhex(line[2:].strip())
        for i in range(0, len(data), 128):
            piece = data[i:i + 128]
            script.append((len(piece) - 1) << 1 | (line[0] == "S"))
            script += piece
    (out / pathlib.Path(name).stem).write_bytes(script)
EOF
      ;;
    cert_pem)
      command -v openssl >/dev/null 2>&1 || return 0
      local tmp
      tmp=$(mktemp -d)
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
        -subj "/CN=mx.example" -addext "subjectAltName=DNS:mx.example,IP:192.0.2.1" \
        -keyout "$tmp/ec.key" -out "$tmp/ec.pem" 2>/dev/null
      openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=rsa.example" \
        -keyout "$tmp/rsa.key" -out "$tmp/rsa.pem" 2>/dev/null
      openssl x509 -in "$tmp/ec.pem" -outform DER -out "$corpus/ec.der"
      cp "$tmp/ec.pem" "$tmp/ec.key" "$tmp/rsa.pem" "$tmp/rsa.key" "$corpus/"
      cat "$tmp/ec.pem" "$tmp/rsa.pem" >"$corpus/chain.pem"
      rm -r "$tmp"
      ;;
  esac
}
if [ -z "$(ls -A "$corpus")" ]; then
  seed
fi

log=target/run-$target.log
status=0
cargo fuzz run -s none -a "$target" "$corpus" -- \
  -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 \
  -artifact_prefix="artifacts/$target/" "$@" 2>&1 | tee "$log" || status=$?

# The last status line (coverage, features, corpus, exec/s) and the totals.
grep -E '^#[0-9]+' "$log" | tail -n 1 || true
grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log" || true
exit "$status"
