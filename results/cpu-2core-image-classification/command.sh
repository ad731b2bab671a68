#!/usr/bin/env bash
# issue 19: the image-classification suite, every method over 3 seeds, from a fresh clone of main, empty cache.
set -u
rm -rf /tmp/fresh-img /tmp/img-cache
git clone -q /work/main /tmp/fresh-img && cd /tmp/fresh-img
bash scripts/setup.sh > /tmp/img-setup.log 2>&1
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 DISTILLBENCH_CACHE=/tmp/img-cache
/usr/bin/time -v .venv/bin/distillbench run image_classification > /tmp/img-stdout.log 2> /tmp/img-stderr.log
echo "rc=$? $(git rev-parse HEAD)" > /tmp/img-done.txt
