#!/usr/bin/env bash
# A backlog worked off on a real Flink standalone cluster: the job stopped with a savepoint,
# ROWS rows of DIM-dimensional vectors written to the source meanwhile, the job resumed from the
# savepoint on the TaskManager as flink-conf/config.yaml sizes it. Passes if it catches up with
# no restart and the target then equals the source (every key once, every field). Prints the
# figures (catch-up time, rows/s, restarts, checkpoints, the TaskManager's highest heap use).
#
#   scripts/backlog.sh [--rows ROWS] [--dim DIM]
#
# With MILVUS_CDC_STACK_DIR set to a stack started by hand (scripts/stack.py up --dir DIR) it
# uses that stack; otherwise it starts its own.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=500000 dim=768
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --dim) dim=$2; shift 2 ;;
    *) echo "usage: scripts/backlog.sh [--rows ROWS] [--dim DIM]" >&2; exit 2 ;;
  esac
done
. scripts/lib/test-main.sh
echo "== backlog: $rows rows of $dim-dimensional vectors"
run_test_main backlog io.milvuscdc.job.chaos.BacklogRun "$rows" "$dim"
