#!/usr/bin/env bash
# A randomized run of any size: the shaded job on a real Flink standalone cluster, a seeded
# workload on the source Milvus, the TaskManager killed with kill -9 K times and restarted, then
# every collection compared between source and target (keys, every field, counts, schema, index,
# load state). Prints the figures; exits 1 if the target differs.
#
#   scripts/chaos.sh [--ops ROWS] [--kills K] [--seed S] [--writers W]
#                    [--fault F[,F...]] [--outage SECONDS] [--retry-timeout SECONDS]
#                    [--delivery exactly-once|at-least-once]
#
# --fault picks what is killed, in turn, K times in all: taskmanager (the default), or a server
# down for --outage seconds: target-down, target-denies-writes (its quota), source-down, kafka-down, etcd-down, pulsar-down (the job
# then reads the source Milvus on Pulsar), or upgrade (flink stop --savepointPath, writes go on
# for --outage seconds, flink run -s at parallelism 4, then 2, in turn). The job's
# targetConfig.retryTimeout is --retry-timeout.
# E.g. --fault etcd-down,kafka-down,source-down,target-down --kills 8 --outage 120
#
# --delivery is the job's delivery mode (exactly-once by default).
#
# --ops counts rows written and deleted on the source. With MILVUS_CDC_STACK_DIR set to a stack
# started by hand (scripts/stack.py up --dir DIR) it uses that stack; otherwise it starts its own.
set -euo pipefail
cd "$(dirname "$0")/.."
ops=20000 kills=5 seed=$RANDOM writers=3 fault=taskmanager outage=120 retry=300 delivery=exactly-once
while [ $# -gt 0 ]; do
  case "$1" in
    --ops) ops=$2; shift 2 ;;
    --kills) kills=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --writers) writers=$2; shift 2 ;;
    --fault) fault=$2; shift 2 ;;
    --outage) outage=$2; shift 2 ;;
    --retry-timeout) retry=$2; shift 2 ;;
    --delivery) delivery=$2; shift 2 ;;
    *) echo "usage: scripts/chaos.sh [--ops ROWS] [--kills K] [--seed S] [--writers W] [--fault F] [--outage S] [--retry-timeout S] [--delivery D]" >&2; exit 2 ;;
  esac
done
. scripts/lib/test-main.sh
echo "== chaos: seed $seed, $ops rows, $kills x $fault, $writers writers, $delivery (operations: target/chaos-run/ops.log)"
run_test_main chaos io.milvuscdc.job.chaos.ChaosRun "$seed" "$ops" "$kills" "$writers" "$fault" "$outage" "$retry" "$delivery"
