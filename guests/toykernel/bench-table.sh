#!/usr/bin/env bash
# Runs the toy kernel's `bench` for both backends (-machine pc and xen) and the three paravirt
# strategies, and prints one Markdown table: TSC ticks (= instructions of virtual time) per
# operation. Deterministic: the same build gives the same table on any machine.
#   guests/toykernel/bench-table.sh            # uses the built emu (dotnet build -c Release first)
#   EMU="dotnet run --project Emulator.Host -c Release --" guests/toykernel/bench-table.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
emu="${EMU:-$root/Emulator.Host/bin/Release/net10.0/emu}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

for machine in pc xen; do
  for s in flag ops patch; do
    echo "bench: -machine $machine pv=$s" >&2
    if ! $emu run -machine "$machine" -append "pv=$s bench" -serial stdio 2>/dev/null > "$tmp/$machine-$s.out"; then
      echo "bench-table: the toy kernel failed with -machine $machine pv=$s:" >&2
      grep -E '^not ok|self-tests failed' "$tmp/$machine-$s.out" >&2 || tail -5 "$tmp/$machine-$s.out" >&2
      exit 1
    fi
  done
done

# bench pv=S backend=B op=NAME n=N ticks_per_op=T  ->  one row per op, columns in run order.
awk '
  FNR == 1 { col++ }
  /^bench pv=/ {
    split($4, o, "="); split($5, n, "="); split($6, t, "=");
    name = o[2]; if (n[2] != 1000) name = name " (n=" n[2] ")";
    if (!(name in seen)) { seen[name] = 1; order[++rows] = name }
    cell[name, col] = t[2]
  }
  END {
    print "| op | native flag | native ops | native patch | xen flag | xen ops | xen patch |"
    print "|---|---:|---:|---:|---:|---:|---:|"
    for (r = 1; r <= rows; r++) {
      line = "| " order[r]
      for (c = 1; c <= 6; c++) line = line " | " cell[order[r], c]
      print line " |"
    }
  }' "$tmp/pc-flag.out" "$tmp/pc-ops.out" "$tmp/pc-patch.out" "$tmp/xen-flag.out" "$tmp/xen-ops.out" "$tmp/xen-patch.out"
