#!/usr/bin/env bash
# the speech suite, 3 seeds, on the 2-core CPU; wall time recorded
cd /work/wt-speech
export OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
date -u +"start %Y-%m-%dT%H:%M:%SZ"
start=$(date +%s)
.venv/bin/distillbench run speech --seeds 0,1,2 --out runs
rc=$?
date -u +"end %Y-%m-%dT%H:%M:%SZ"
echo "rc $rc wall_s $(( $(date +%s) - start ))"
