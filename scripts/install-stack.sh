#!/usr/bin/env bash
# Installs everything the test stack runs, on a fresh Debian machine, idempotently:
#   etcd (Debian etcd-server), PyYAML (into .stack/pylib), the Milvus 2.3.5 standalone binary
#   (from the PyPI wheel "milvus", unpacked into .stack/milvus), and the class paths of a Kafka 3.4
#   broker, a Pulsar 3.0 standalone and a Flink 1.20 standalone cluster (from Maven Central, into
#   .stack/kafka/lib, .stack/pulsar/lib and .stack/flink/lib).
set -euo pipefail
cd "$(dirname "$0")/.."
STACK=.stack
MILVUS_VERSION=2.3.5   # the newest embedded-Milvus wheel published for Linux x86_64
mkdir -p "$STACK"

if ! command -v etcd >/dev/null; then
  echo "== installing etcd (Debian etcd-server)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq etcd-server etcd-client >/dev/null
  # The package may start a system etcd on 2379; the stack runs its own on free ports.
  service etcd stop >/dev/null 2>&1 || true
fi

if [ ! -f "$STACK/pylib/yaml/__init__.py" ]; then
  echo "== installing PyYAML into $STACK/pylib"
  python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --target "$STACK/pylib" pyyaml
fi

if [ ! -x "$STACK/milvus/bin/milvus" ]; then
  echo "== installing Milvus $MILVUS_VERSION (PyPI wheel 'milvus') into $STACK/milvus"
  tmp=$(mktemp -d)
  python3 -m pip download -q --disable-pip-version-check --no-deps -d "$tmp" "milvus==$MILVUS_VERSION"
  python3 - "$tmp" "$STACK/milvus" <<'PY'
import glob, lzma, os, sys, zipfile
src, dest = sys.argv[1], sys.argv[2]
os.makedirs(os.path.join(dest, "bin"), exist_ok=True)
with zipfile.ZipFile(glob.glob(os.path.join(src, "*.whl"))[0]) as whl:
    for name in whl.namelist():
        if name.startswith("milvus/data/bin/") and name.endswith(".lzma"):
            out = os.path.join(dest, "bin", os.path.basename(name)[:-len(".lzma")])
            with whl.open(name) as f, open(out, "wb") as o:
                o.write(lzma.decompress(f.read()))
        elif name == "milvus/data/config.yaml.template":
            with whl.open(name) as f, open(os.path.join(dest, "milvus.yaml.template"), "wb") as o:
                o.write(f.read())
os.chmod(os.path.join(dest, "bin", "milvus"), 0o755)
PY
  rm -rf "$tmp"
fi

if [ ! -f "$STACK/kafka/lib/.complete" ]; then
  echo "== installing the Kafka 3.4 broker class path into $STACK/kafka/lib"
  rm -rf "$STACK/kafka/lib"
  mvn -B -q -f scripts/kafka/pom.xml dependency:copy-dependencies -DoutputDirectory="$PWD/$STACK/kafka/lib"
  touch "$STACK/kafka/lib/.complete"
fi
if [ ! -f "$STACK/pulsar/lib/.complete" ]; then
  echo "== installing the Pulsar 3.0 standalone class path into $STACK/pulsar/lib"
  rm -rf "$STACK/pulsar/lib"
  mvn -B -q -f scripts/pulsar/pom.xml dependency:copy-dependencies -DoutputDirectory="$PWD/$STACK/pulsar/lib"
  touch "$STACK/pulsar/lib/.complete"
fi
# The marker holds the pom's checksum: a changed class path is installed again.
flink_pom_sum=$(sha256sum scripts/flink/pom.xml | cut -d' ' -f1)
if [ "$(cat "$STACK/flink/lib/.complete" 2>/dev/null)" != "$flink_pom_sum" ]; then
  echo "== installing the Flink 1.20 standalone cluster class path into $STACK/flink/lib"
  rm -rf "$STACK/flink/lib"
  mvn -B -q -f scripts/flink/pom.xml dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$PWD/$STACK/flink/lib"
  echo "$flink_pom_sum" > "$STACK/flink/lib/.complete"
fi
echo "== stack installed in $STACK"
