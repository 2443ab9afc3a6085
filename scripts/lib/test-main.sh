# Sourced by scripts/chaos.sh, scripts/backlog.sh and scripts/benchmark.sh: runs a main class of the job's test
# classes against a stack, on a real Flink cluster it starts itself.
#
#   run_test_main NAME CLASS ARGS...   (the class gets STACK_JSON JAR DIR ARGS...)
#
# With MILVUS_CDC_STACK_DIR set to a stack started by hand (scripts/stack.py up --dir DIR) it
# uses that stack; otherwise it starts its own and stops it at the end.
run_test_main() {
  local name=$1 class=$2
  shift 2
  scripts/install-stack.sh
  echo "== building the job and the test classes"
  mvn -B -q install -DskipTests
  mvn -B -q -pl job dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
  local dir=target/$name-run
  mkdir -p "$dir"
  stack_dir=${MILVUS_CDC_STACK_DIR:-}
  owned=
  if [ -z "$stack_dir" ]; then
    stack_dir=$PWD/target/$name-stack
    echo "== starting the stack in $stack_dir"
    python3 scripts/stack.py up --dir "$stack_dir" >/dev/null
    owned=1
  fi
  trap 'if [ -n "$owned" ]; then python3 scripts/stack.py down --dir "$stack_dir"; fi' EXIT
  echo "== $name (log: $dir/run.log)"
  java -cp "job/target/test-classes:$(cat job/target/test-classpath.txt)" "$class" \
    "$stack_dir/stack.json" "$PWD/job/target/milvus-cdc-job.jar" "$PWD/$dir" "$@" \
    2> "$dir/run.log"
}
