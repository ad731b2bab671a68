#!/usr/bin/env bash
# issue 17: a run after a card change retrains its teacher and says why. Run from anywhere; it runs in the
# repository root under the shared CPU lock, with an empty cache, and writes stdout.log / stderr.log here.
cd "$(dirname "$0")/../.."
here=results/cpu-2core-teacher-retrain
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
cache=$(mktemp -d /tmp/retrain-cache-XXXX)
rm -rf "$here/teacher-retrain"
flock /tmp/distillbench-cpu.lock .venv/bin/distillbench run "$here/suite.yaml" --cache-dir "$cache" --out "$here" \
  > "$here/stdout.log" 2> "$here/stderr.log"
echo "rc $?"
