#!/usr/bin/env bash
# gpu-check.sh — proves the CUDA path on a GPU host, from a linewatch checkout (npm ci done, CUDA EP installed: see
# deploy/README.md "GPU hosts"). Steps, each logged to <out>/<step>.log and timed:
#   1. preflight   nvidia-smi lists the GPU; onnxruntime-node's CUDA execution provider library is installed
#   2. data        a small synthetic dataset (normal surfaces)
#   3. keygen      a throw-away signing key pair
#   4. train       one tiny-preset training run (8 short epochs) with --providers cuda (no CPU fallback)
#   5. bench       the agent bench with --providers cuda on that model (1 camera)
#   6. parity      the model scored on cpu and on cuda: max |Δscore| and max |Δmap| ≤ 1e-3
# Results: <out>/gpu-check.json ({ ok, provider, steps: [{ name, ok, seconds, log }] }) plus each step's own JSON
# (bench-agent.json, parity.json).
#
# Usage: tools/gpu-check.sh [--out <dir>] [--device-id <n>] [--provider cuda|cpu] [--count <n>] [--bench-seconds <s>]
#                           [--dry-run] [-h|--help]
#   --out            results folder (default dist/gpu-check); must be new or empty
#   --device-id      GPU ordinal (default 0)
#   --provider       cuda (default); cpu runs the same steps without a GPU (the test suite does, to keep this script
#                    working on machines that have none; preflight then skips the GPU checks)
#   --count          training images (default 32)
#   --bench-seconds  agent bench duration (default 10)
#   --dry-run        print the plan (every command) and exit 0; nothing runs, nothing is written
# Exit codes: 0 every step passed; 1 a step failed (see <out>/gpu-check.json and the step's log); 2 usage.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/dist/gpu-check"
device_id=0
provider=cuda
count=32
bench_seconds=10
dry_run=0

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }
die_usage() {
  echo "gpu-check: $1 (see --help)" >&2
  exit 2
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="$(realpath -m "${2:?--out needs a value}")"; shift 2 ;;
    --device-id) device_id="${2:-}"; shift 2 ;;
    --provider) provider="${2:-}"; shift 2 ;;
    --count) count="${2:-}"; shift 2 ;;
    --bench-seconds) bench_seconds="${2:-}"; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die_usage "unknown argument $1" ;;
  esac
done
[[ "$device_id" =~ ^[0-9]+$ ]] || die_usage "--device-id must be a GPU ordinal"
[[ "$provider" == cuda || "$provider" == cpu ]] || die_usage "--provider must be cuda or cpu"
[[ "$count" =~ ^[0-9]+$ && "$count" -ge 12 ]] || die_usage "--count must be an integer ≥ 12 (a tenth is held out to calibrate the threshold)"
[[ "$bench_seconds" =~ ^[0-9]+$ && "$bench_seconds" -ge 1 ]] || die_usage "--bench-seconds must be a positive integer"

tsx=(node --conditions=@linewatch/source --import tsx)
gpu=()
[[ "$provider" == cuda ]] && gpu=(--device-id "$device_id")
ep_lib="$root/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so"

# name|command — one line per step; commands are word-split from these arrays when run.
preflight_cmd=(bash -c "nvidia-smi -L && test -f '$ep_lib' || { echo 'CUDA EP missing: $ep_lib (deploy/README.md, GPU hosts)'; exit 1; }")
[[ "$provider" == cpu ]] && preflight_cmd=(bash -c "node --version && echo 'provider cpu: GPU checks skipped'")
data_cmd=("${tsx[@]}" apps/trainer/bench/gpu/make-data.ts --out "$out/data" --count "$count")
keygen_cmd=("${tsx[@]}" apps/trainer/src/main.ts keygen --out "$out/keys")
# --min-calibration-normals 1: a speed/parity check on --count images (a tenth calibrates), not a calibration.
train_cmd=("${tsx[@]}" apps/trainer/src/main.ts train --data "$out/data" --preset tiny --out "$out/model"
  --key "$out/keys/signing-key.pem" --min-calibration-normals 1 --providers "$provider" "${gpu[@]}")
bench_cmd=("${tsx[@]}" apps/agent/bench/agent.ts --json "$out/bench-agent.json" --providers "$provider"
  --package "$out/model" --key "$out/keys/signing-key.pub.pem" --cameras 1 --seconds "$bench_seconds" --slice 1)
parity_cmd=("${tsx[@]}" apps/trainer/bench/gpu/parity.ts --package "$out/model" --json "$out/parity.json"
  --reference cpu --candidate "$provider" "${gpu[@]}" --tolerance 1e-3)
steps=(preflight data keygen train bench parity)

if [[ "$dry_run" == 1 ]]; then
  echo "gpu-check plan (provider $provider, device $device_id, results in $out):"
  for s in "${steps[@]}"; do
    declare -n cmd="${s}_cmd"
    printf '  %-9s %s\n' "$s" "${cmd[*]}"
  done
  exit 0
fi

if [[ -d "$out" && -n "$(ls -A "$out")" ]]; then die_usage "--out $out is not empty"; fi
mkdir -p "$out"
cd "$root"
records="$out/.steps"
: >"$records"
failed=""
for s in "${steps[@]}"; do
  declare -n cmd="${s}_cmd"
  log="$out/$s.log"
  start=$(date +%s%N)
  echo "gpu-check: $s …"
  if "${cmd[@]}" >"$log" 2>&1; then ok=true; else ok=false; fi
  ms=$((($(date +%s%N) - start) / 1000000))
  echo "$s|$ok|$ms|$log" >>"$records"
  if [[ "$ok" == false ]]; then
    failed="$s"
    echo "gpu-check: $s FAILED — last lines of $log:" >&2
    tail -n 15 "$log" >&2
    break
  fi
done
node -e '
  const fs = require("node:fs");
  const [records, out, provider, device] = process.argv.slice(1);
  const steps = fs.readFileSync(records, "utf8").trim().split("\n").filter(Boolean).map((l) => {
    const [name, ok, ms, log] = l.split("|");
    return { name, ok: ok === "true", seconds: Number(ms) / 1000, log };
  });
  const read = (f) => (fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, "utf8")) : null);
  const result = {
    ok: steps.length === 6 && steps.every((s) => s.ok),
    provider, deviceId: Number(device), steps,
    parity: read(out + "/parity.json"),
  };
  fs.writeFileSync(out + "/gpu-check.json", JSON.stringify(result, null, 2) + "\n");
' "$records" "$out" "$provider" "$device_id"
rm -f "$records"
if [[ -n "$failed" ]]; then
  echo "gpu-check: FAILED at $failed (results: $out/gpu-check.json)" >&2
  exit 1
fi
echo "gpu-check: all steps passed on $provider (results: $out/gpu-check.json)"
