#!/usr/bin/env bash
# Fuzzes every parser that reads what a target sends (fuzz/: cargo-fuzz, libFuzzer) for a bounded
# time each, one target after the other, and prints each target's executions and crashes. Not part
# of CI (scripts/test.sh): a benchmark job runs it.
#
#   scripts/fuzz.sh [seconds-per-target] [target…]     (default: 60 s, every target)
#
# A crash, a hang (> 10 s on one input) or an allocation past 2 GiB is saved under
# fuzz/artifacts/<target>/; replay it with `cargo +nightly fuzz run <target> <file>`, then make it a
# regression test next to the code it broke. The corpus grows in fuzz/corpus/<target>/ (ignored);
# fuzz/seeds/<target>/ holds the small committed seeds it starts from.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(openapi detect links sensitive_files tls)
fi

# libFuzzer needs nightly (sanitizer flags); cargo-fuzz drives it.
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

failed=0
printf '%-16s %12s %10s %8s\n' target executions exec/s crashes
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target" "artifacts/$target"
  before=$(find "artifacts/$target" -type f | wc -l)
  log="artifacts/$target.log"
  cargo +nightly fuzz build "$target" >"$log" 2>&1 || { cat "$log"; exit 2; }
  # Large enough for a real spec or archive header, small enough to keep executions fast.
  cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >>"$log" 2>&1 || true
  after=$(find "artifacts/$target" -type f | wc -l)
  crashes=$((after - before))
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
  rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log" | tail -1)
  printf '%-16s %12s %10s %8s\n' "$target" "${execs:-?}" "${rate:-?}" "$crashes"
  if [ "$crashes" -gt 0 ]; then
    failed=1
    ls -t "artifacts/$target" | head -n "$crashes" | sed "s|^|  fuzz/artifacts/$target/|"
  fi
done
exit $failed
