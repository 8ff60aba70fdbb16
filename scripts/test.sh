#!/usr/bin/env bash
# One command to install everything and run the whole test suite.
# On SQLite alone tests that need PostgreSQL or Redis skip and say why;
# set DATABASE_URL and REDIS_URL (as .ci/run does) and nothing skips.
# The tests run on every core, up to four (pytest-xdist; `-n 0` after the command runs them
# in this one process): each worker has its own test database, cache keys and task queue.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements-dev.txt
exec .venv/bin/python -m pytest -n auto --maxprocesses 4 "$@"
