#!/bin/bash
# The Hinton 2015 dry run (card version 2: students at lr 0.03), from the repository root with an empty cache;
# writes runs/ and suite-stdout.log into OUT (default /tmp/hinton-v2).
cd "$(dirname "$0")/../.."
out=${1:-/tmp/hinton-v2}
rm -rf "$out" && mkdir -p "$out"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
echo "start $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD)"
/usr/bin/time -f "wall %e s, user %U s, sys %S s, max RSS %M KB" .venv/bin/distillbench run hinton2015-mnist5k-dryrun \
  --out "$out/runs" --cache-dir "$out/cache"
echo "end $(date -u +%FT%TZ) rc $?"
