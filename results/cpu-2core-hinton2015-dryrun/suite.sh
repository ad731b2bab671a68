#!/bin/bash
# the Hinton 2015 dry run, from a clean checkout of the paper branch at the commit recorded in each record
cd /tmp/paper-hinton/wt
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONPATH=/tmp/paper-hinton/wt/src
echo "start $(date -u +%FT%TZ)"
/usr/bin/time -f "wall %e s, user %U s, sys %S s, max RSS %M KB" /work/wt-paper/.venv/bin/distillbench run hinton2015-mnist5k-dryrun --out /tmp/paper-hinton/runs --cache-dir /tmp/paper-hinton/cache
echo "end $(date -u +%FT%TZ) rc $?"
