#!/usr/bin/env bash
# A randomized run of any size: the shaded job on a real Flink standalone cluster, a seeded
# workload on the source Milvus, the TaskManager killed with kill -9 K times and restarted, then
# every collection compared between source and target (keys, every field, counts, schema, index,
# load state). Prints the figures; exits 1 if the target differs.
#
#   scripts/chaos.sh [--ops ROWS] [--kills K] [--seed S] [--writers W]
#
# --ops counts rows written and deleted on the source. With MILVUS_CDC_STACK_DIR set to a stack
# started by hand (scripts/stack.py up --dir DIR) it uses that stack; otherwise it starts its own.
set -euo pipefail
cd "$(dirname "$0")/.."
ops=20000 kills=5 seed=$RANDOM writers=3
while [ $# -gt 0 ]; do
  case "$1" in
    --ops) ops=$2; shift 2 ;;
    --kills) kills=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --writers) writers=$2; shift 2 ;;
    *) echo "usage: scripts/chaos.sh [--ops ROWS] [--kills K] [--seed S] [--writers W]" >&2; exit 2 ;;
  esac
done
scripts/install-stack.sh
echo "== building the job and the test classes"
mvn -B -q install -DskipTests
mvn -B -q -pl job dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt

dir=target/chaos-run
mkdir -p "$dir"
stack_dir=${MILVUS_CDC_STACK_DIR:-}
owned=
if [ -z "$stack_dir" ]; then
  stack_dir=$PWD/target/chaos-stack
  echo "== starting the stack in $stack_dir"
  python3 scripts/stack.py up --dir "$stack_dir" >/dev/null
  owned=1
fi
stop() { if [ -n "$owned" ]; then python3 scripts/stack.py down --dir "$stack_dir"; fi; }
trap stop EXIT
echo "== chaos: seed $seed, $ops rows, $kills kills, $writers writers (log: $dir/run.log, operations: $dir/ops.log)"
java -cp "job/target/test-classes:$(cat job/target/test-classpath.txt)" io.milvuscdc.job.chaos.ChaosRun \
  "$stack_dir/stack.json" "$PWD/job/target/milvus-cdc-job.jar" "$PWD/$dir" "$seed" "$ops" "$kills" "$writers" \
  2> "$dir/run.log"
