#!/usr/bin/env bash
# the speech-pocketsphinx suite, seed 0, on the 2-core CPU, under the CPU lock; wall time recorded
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 DISTILLBENCH_CACHE=/tmp/sphinxcache
date -u +"start %Y-%m-%dT%H:%M:%SZ"
start=$(date +%s)
.venv/bin/distillbench run speech-pocketsphinx --seeds 0 --cache-dir /tmp/sphinxcache --out runs
rc=$?
date -u +"end %Y-%m-%dT%H:%M:%SZ"
echo "rc $rc wall_s $(( $(date +%s) - start ))"
