#!/usr/bin/env bash
# The timed cold default run: a fresh clone of main, setup, an empty cache, `distillbench run`.
set -u
rm -rf /tmp/fresh-default /tmp/cold-cache
git clone -q /work/main /tmp/fresh-default
cd /tmp/fresh-default
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export DISTILLBENCH_CACHE=/tmp/cold-cache HF_DATASETS_CACHE=/tmp/cold-cache/hf-datasets
mkdir -p /tmp/cold-cache
s0=$(date +%s)
bash scripts/setup.sh > /tmp/cold-setup.log 2>&1
s1=$(date +%s)
echo "setup: $((s1-s0)) s" > /tmp/cold-times.txt
/usr/bin/time -v .venv/bin/distillbench run > /tmp/cold-stdout.log 2> /tmp/cold-stderr.log
rc=$?
s2=$(date +%s)
echo "run: $((s2-s1)) s rc=$rc" >> /tmp/cold-times.txt
git rev-parse HEAD >> /tmp/cold-times.txt
