#!/usr/bin/env bash
# The whole test suite: installs the real servers if needed, then unit tests and *ITCase
# (which start etcd, Kafka, two Pulsar brokers and three Milvus once for the run and stop them
# at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-stack.sh
exec mvn -B verify "$@"
