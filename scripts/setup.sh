#!/usr/bin/env bash
# Creates .venv and installs distillbench with every extra and the dev tools, at the pinned versions.
# Idempotent: a second run only checks that everything is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
  -c requirements/constraints.txt -e ".[all,dev]"
.venv/bin/python -c "import distillbench, torch; print(f'distillbench {distillbench.__version__} ready (torch {torch.__version__})')"
