#!/usr/bin/env bash
# Captures the etcd values and the Kafka and Pulsar messages of real source Milvus servers into the
# decoders' test resources. Starts its own stack, runs WireCapture once per queue, stops the stack.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=target/capture-stack
python3 scripts/stack.py up --dir "$dir"
trap 'python3 scripts/stack.py down --dir "$dir"' EXIT
mvn -B -q -pl connectors test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
for queue in kafka pulsar; do
  java -cp "connectors/target/test-classes:connectors/target/classes:$(cat connectors/target/cp.txt)" \
    io.milvuscdc.testutils.WireCapture "$dir/stack.json" \
    "connectors/src/test/resources/wire/milvus-2.3.5-$queue.json" "$queue"
done
