#!/usr/bin/env bash
# The demo: a local stack (etcd, Kafka, Pulsar, source and target Milvus), a Flink standalone
# cluster (JobManager and TaskManager from Maven Central jars, configured by flink-conf/config.yaml),
# a demo collection filled, indexed and loaded on the source, and the job submitted with
# `flink run`. Prints the web UI address once the job runs, then checks that the target equals the
# source. Ctrl-C stops the job, the cluster and the stack.
#   DEMO_QUEUE=pulsar   replicate the stack's source Milvus on Pulsar instead of the one on Kafka
#   FLINK_UI_PORT=8081  the web UI's port
#   scripts/demo.sh --check   (in another terminal, while the demo runs) checks the replica again
set -euo pipefail
cd "$(dirname "$0")/.."
stack=target/demo-stack
cluster=target/demo-flink
rows=5000
queue=${DEMO_QUEUE:-kafka}

# The shipped verifier, in the client's JVM (-t local: the job holds the cluster's slots; free ports for its
# own blob server and REST endpoint, the cluster's being taken).
check() {
  python3 scripts/flink_cluster.py flink --dir "$cluster" -- run -t local -Dblob.server.port=0 -Drest.bind-port=0 job/target/milvus-cdc-job.jar verify \
    --config target/demo/cdc.yaml --recheck-after 0s --report target/demo/verify.json 2>/dev/null \
    | grep -E '^(EQUAL|DIFFERENT|UNLOADED|    )'
}
if [ "${1:-}" = --check ]; then
  check
  exit $?
fi

scripts/install-stack.sh
echo "== building the job"
mvn -B -q install -DskipTests
mvn -B -q -pl job dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
mvn -B -q -pl connectors dependency:build-classpath -Dmdep.outputFile=target/connectors-test-classpath.txt

sleeper=
stop() {
  trap - EXIT INT TERM
  if [ -n "$sleeper" ]; then kill "$sleeper" 2>/dev/null || true; fi
  echo "== stopping the job, the Flink cluster and the stack"
  python3 scripts/flink_cluster.py down --dir "$cluster" & cluster_down=$!
  python3 scripts/stack.py down --dir "$stack" --grace 5 & stack_down=$!
  wait "$cluster_down" "$stack_down"
}
trap stop EXIT
trap 'exit 130' INT TERM

echo "== starting the stack in $stack"
python3 scripts/stack.py up --dir "$stack" >/dev/null
port=${FLINK_UI_PORT:-8081}
echo "== starting a Flink cluster in $cluster"
python3 scripts/flink_cluster.py up --dir "$cluster" --rest-port "$port" >/dev/null

json() { python3 -c "import json,sys; d=json.load(open('$stack/stack.json')); print($1)"; }
if [ "$queue" = pulsar ]; then
  source=pulsarSourceMilvus
  mq="  pulsar:
    address: $(json "d['pulsar']['serviceUrl']")"
else
  source=sourceMilvus
  mq="  kafka:
    address: $(json "d['kafka']['bootstrap']")"
fi
mkdir -p target/demo
cat > target/demo/cdc.yaml <<YAML
sourceConfig:
  etcd:
    address: [$(json "d['etcd']['endpoint']")]
    rootPath: $(json "d['$source']['rootPath']")
    metaSubPath: meta
  replicateChan: $(json "d['$source']['channelPrefix']")-replicate-msg
$mq
  milvus:
    uri: $(json "d['$source']['uri']")
targetConfig:
  uri: $(json "d['targetMilvus']['uri']")
startup:
  mode: earliest
checkpointInterval: 2s
YAML

echo "== filling demo_docs on the source"
java -cp "connectors/target/test-classes:connectors/target/classes:$(cat connectors/target/connectors-test-classpath.txt)" \
  io.milvuscdc.testutils.DemoData "$stack/stack.json" "$rows" "$queue" 2>/dev/null

echo "== submitting the job: flink run -d job/target/milvus-cdc-job.jar --config target/demo/cdc.yaml"
python3 scripts/flink_cluster.py flink --dir "$cluster" -- run -d job/target/milvus-cdc-job.jar \
  --config target/demo/cdc.yaml 2>"$cluster/client.err" | grep -E "JobID|Starting" || { cat "$cluster/client.err"; exit 1; }
until curl -sf "http://127.0.0.1:$port/jobs/overview" | grep -q '"state":"RUNNING"'; do sleep 0.5; done
echo "== the job runs. Flink web UI: http://127.0.0.1:$port"
echo "== source Milvus ($queue): $(json "d['$source']['uri']")   target Milvus: $(json "d['targetMilvus']['uri']")"
echo "== waiting until the target equals the source (scripts/demo.sh --check checks again; Ctrl-C stops)"
for _ in $(seq 1 60); do
  if out=$(check); then echo "$out"; break; fi
  sleep 2
done
sleep infinity &
sleeper=$!
wait "$sleeper"
