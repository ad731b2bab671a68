#!/usr/bin/env bash
# issue 17: a run after a card change retrains its teacher and says why. Runs in the repository root with an
# empty cache; writes the run folder (teacher-retrain/) and stdout.log / stderr.log into OUT (default: this
# folder). Run it under the shared CPU lock:
#   flock /tmp/distillbench-cpu.lock bash results/cpu-2core-teacher-retrain/run.sh [OUT]
cd "$(dirname "$0")/../.."
out=${1:-results/cpu-2core-teacher-retrain}
mkdir -p "$out"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
cache=$(mktemp -d /tmp/retrain-cache-XXXX)
rm -rf "$out/teacher-retrain"
.venv/bin/distillbench run results/cpu-2core-teacher-retrain/suite.yaml --cache-dir "$cache" --out "$out" \
  > "$out/stdout.log" 2> "$out/stderr.log"
echo "rc $?"
