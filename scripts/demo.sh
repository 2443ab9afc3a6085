#!/usr/bin/env bash
# The demo: a local stack (etcd, Kafka, Pulsar, source and target Milvus), a demo collection filled on
# the source, and the job in a local Flink with its web UI. Ctrl-C stops the job and the stack.
# DEMO_QUEUE=pulsar replicates the stack's source Milvus on Pulsar instead of the one on Kafka.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-stack.sh
echo "== building the job"
mvn -B -q install -DskipTests
mvn -B -q -pl job dependency:build-classpath -Dmdep.includeScope=provided -Dmdep.outputFile=target/flink-classpath.txt
mvn -B -q -pl connectors dependency:build-classpath -Dmdep.outputFile=target/connectors-test-classpath.txt

dir=target/demo-stack
echo "== starting the stack in $dir"
python3 scripts/stack.py up --dir "$dir"
job_pid=
stop() {
  if [ -n "$job_pid" ]; then kill "$job_pid" 2>/dev/null || true; wait "$job_pid" 2>/dev/null || true; fi
  python3 scripts/stack.py down --dir "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

json() { python3 -c "import json,sys; d=json.load(open('$dir/stack.json')); print($1)"; }
queue=${DEMO_QUEUE:-kafka}
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
targetConfig:
  uri: $(json "d['targetMilvus']['uri']")
startup:
  mode: earliest
checkpointInterval: 2s
YAML

echo "== filling demo_docs on the source"
java -cp "connectors/target/test-classes:connectors/target/classes:$(cat connectors/target/connectors-test-classpath.txt)" \
  io.milvuscdc.testutils.DemoData "$dir/stack.json" 5000 "$queue"

port=${FLINK_UI_PORT:-8081}
echo "== source Milvus ($queue): $(json "d['$source']['uri']")   target Milvus: $(json "d['targetMilvus']['uri']")"
echo "== Flink web UI: http://127.0.0.1:$port   (Ctrl-C stops the job and the stack)"
# JDK 17 needs Flink's --add-opens list; the parent pom keeps it.
opens=$(python3 -c "import re; print(re.search(r'<flink.jvm.opens>(.*?)</flink.jvm.opens>', open('pom.xml').read()).group(1))")
# shellcheck disable=SC2086
java $opens -Dlog4j.configurationFile=flink-conf/log4j-console.properties \
  -cp "job/target/milvus-cdc-job.jar:$(cat job/target/flink-classpath.txt)" \
  io.milvuscdc.job.MilvusCdcJob --config target/demo/cdc.yaml --local-web-ui "$port" &
job_pid=$!
wait "$job_pid"
