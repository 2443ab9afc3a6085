#!/usr/bin/env bash
# The benchmark (issue 7) on the real stack and a real Flink standalone cluster: the target's own
# ingest ceiling (rows straight into the target, 1/2/4 clients), the job's catch-up after a stop
# and its live rate against that ceiling, the end-to-end delay of rows at steady rates and of
# DDL, and the TaskManager's CPU per row, peak memory and checkpoints. Prints one table and writes
# target/benchmark-run/benchmark.json.
#
#   scripts/benchmark.sh [--rows N] [--dim D] [--batch B] [--clients 1,2,4] [--lag-rates 200,1000 (and half the ceiling)]
#                        [--lag-seconds S] [--checkpoint-seconds C] [--profile]
#                        [--scale 2x1,4x1,4x2|none] [--collections N] [--rows-per-collection R]
#                        [--parts catchup,live,snapshot,scale,many] [--queue kafka|pulsar]
#
# --scale repeats the catch-up (the rows spread over 4 collections) at each job parallelism x
# number of TaskManagers, each on a cluster of its own. --collections creates N collections
# (default 1,000) with R rows each (default 20) while the job runs with 10 s checkpoints on the
# shipped 2 GB TaskManager: all must reach the target; its memory and checkpoints are reported.
# --parts runs only those parts after the ceiling (default: all). --queue pulsar has the job read
# the stack's source Milvus on Pulsar instead of the one on Kafka (the target is the same).
#
# --profile records the TaskManager's CPU with Java Flight Recorder during the catch-up
# (target/benchmark-run/catchup.jfr, summarized in catchup.jfr.txt: threads, hottest methods) and
# during each delivery mode's delay phase at the lowest rate (lag-DELIVERY-RATE.jfr and .txt).
#
# With MILVUS_CDC_STACK_DIR set to a stack started by hand (scripts/stack.py up --dir DIR) it
# uses that stack; otherwise it starts its own.
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rows|--dim|--batch|--clients|--lag-rates|--lag-seconds|--checkpoint-seconds|--scale|--collections|--rows-per-collection|--parts|--queue) args+=("$1" "$2"); shift 2 ;;
    --profile) args+=("$1"); shift ;;
    *) echo "usage: scripts/benchmark.sh [--rows N] [--dim D] [--batch B] [--clients 1,2,4] [--lag-rates R,R] [--lag-seconds S] [--checkpoint-seconds C] [--profile] [--scale 2x1,4x1,4x2|none] [--collections N] [--rows-per-collection R] [--parts catchup,live,snapshot,scale,many] [--queue kafka|pulsar]" >&2; exit 2 ;;
  esac
done
. scripts/lib/test-main.sh
echo "== benchmark ${args[*]:-(defaults: 200,000 rows of 768 dimensions)}"
run_test_main benchmark io.milvuscdc.job.chaos.BenchmarkRun "${args[@]}"
