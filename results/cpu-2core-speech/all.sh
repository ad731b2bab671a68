#!/usr/bin/env bash
# teacher (val WER watched per 2 epochs; cached exactly as the suite's teacher job would) then the speech suite
cd /work/wt-speech
export OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
date -u +"teacher start %Y-%m-%dT%H:%M:%SZ"
.venv/bin/python /tmp/speechexp/cache_teacher.py > /tmp/speechexp/teacher2.log 2>&1
date -u +"teacher end %Y-%m-%dT%H:%M:%SZ"
/tmp/speechexp/suite.sh
