#!/usr/bin/env bash
# What recording a trace costs: the toy kernel (pv=ops, boot and self-tests, then with `bench`)
# under -machine pc and -machine xen, without a trace and at each -trace-level. Each cell is the
# median wall time of RUNS runs of the whole `emu run` process (start-up included, as a user sees
# it), then the trace's size. A benchmark, not a test: run it on an idle machine.
#   guests/toykernel/trace-cost.sh            # uses the built emu (dotnet build -c Release first)
#   RUNS=9 EMU=... guests/toykernel/trace-cost.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
emu="${EMU:-$root/Emulator.Host/bin/Release/net10.0/emu}"
runs="${RUNS:-7}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "| run | no trace | boot | hypercall | full |"
echo "|---|---:|---:|---:|---:|"
for machine in pc xen; do
  for append in "pv=ops" "pv=ops bench"; do
    row="| \`-machine $machine -append \"$append\"\` |"
    for level in none boot hypercall full; do
      trace=()
      [ "$level" != none ] && trace=(-trace "$tmp/t.jsonl" -trace-level "$level")
      for k in $(seq "$runs"); do
        start=$(date +%s.%N)
        status=0
        $emu run -machine "$machine" -m 32 -append "$append" -serial none "${trace[@]}" 2>/dev/null || status=$?
        end=$(date +%s.%N)
        [ "$status" -eq 0 ] || { echo "trace-cost: emu run exited with $status" >&2; exit 1; }
        echo "$start $end" | awk '{ printf "%.3f\n", $2 - $1 }'
      done > "$tmp/times"
      cell="$(median < "$tmp/times") s"
      [ "$level" != none ] && cell="$cell ($(( $(wc -c < "$tmp/t.jsonl") / 1024 )) KiB)"
      row="$row $cell |"
      echo "trace-cost: -machine $machine \"$append\" $level done" >&2
    done
    echo "$row"
  done
done
