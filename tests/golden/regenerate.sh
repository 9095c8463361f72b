#!/usr/bin/env bash
# Re-records every golden trace of cases.txt at the boot and hypercall levels (tests/golden/*.jsonl).
# Run it from anywhere after `dotnet build -c Release`, or with EMU set to another emu command.
# Regenerate only for a change that is meant to change what guests do or what traces record (a
# guest's code, the hypervisor's behaviour or costs, the trace format), never to make a failing
# test pass: read `emu trace diff` of old and new first, and explain the change in the commit.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
emu="${EMU:-$root/Emulator.Host/bin/Release/net10.0/emu}"
LEVELS="boot hypercall"
cd "$root"
grep -v '^#' "$here/cases.txt" | grep -v '^[[:space:]]*$' | while IFS= read -r line; do
  name="${line%%:*}"
  args="${line#*: }"
  for level in $LEVELS; do
    out="$here/$name.$level.jsonl"
    # shellcheck disable=SC2086 # the arguments are split at spaces on purpose (cases.txt has no quoting)
    status=0
    $emu run $args -serial none -trace "$out" -trace-level "$level" || status=$?
    echo "$name.$level.jsonl: exit status $status, $(wc -l < "$out") events, $(wc -c < "$out") bytes"
  done
done
