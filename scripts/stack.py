#!/usr/bin/env python3
"""The real test stack: etcd, a Kafka KRaft broker, two Pulsar 3.0 standalone brokers (one open,
one that requires a token), a source Milvus on Kafka, a source Milvus on Pulsar, a target Milvus.

    stack.py up   --dir DIR   start everything on 127.0.0.1 with free ports, write DIR/stack.json
    stack.py down --dir DIR   stop every server of DIR/stack.json by its own pid
    stack.py stop-server  --dir DIR --server NAME [--kill]   stop one server (a fault), data kept
    stack.py start-server --dir DIR --server NAME            start it again: same ports, same data
    stack.py restart-servers --dir DIR --server A,B,...   kill -9 them, start them again at once
    stack.py heal --dir DIR   start again every server that exited (as a supervisor would), print them
    stack.py start-tls-target --dir DIR   start a fourth Milvus (target-like) that takes only TLS with
                              client certificates (tlsMode 2), recorded as tlsTargetMilvus; stop-server stops it

`up` makes a throw-away CA and certificates in DIR/tls; etcd serves its plain port and, with them,
an https port that requires a client certificate (etcd.tlsEndpoint).

The JUnit extension (MilvusStackExtension) calls this same script, so the stack a test sees
is the one a developer starts by hand. `scripts/install-stack.sh` installs what it runs.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STACK_HOME = os.environ.get("MILVUS_CDC_STACK_HOME", os.path.join(ROOT, ".stack"))
MILVUS_BIN = os.path.join(STACK_HOME, "milvus", "bin")
KAFKA_LIB = os.path.join(STACK_HOME, "kafka", "lib")
PULSAR_LIB = os.path.join(STACK_HOME, "pulsar", "lib")

# Few DML channels keep two Milvus instances and a broker light on a 2-core machine;
# the job discovers the channels, it does not assume their number.
DML_CHANNELS = 4


_taken = set()


def free_port():
    """A port that is free now, below the kernel's ephemeral range: a port from bind(0) lies in
    that range, where outgoing connections of other processes can take it before the server
    binds it (seen: Milvus panicking with 'address already in use')."""
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
    rnd = random.Random()
    for _ in range(1000):
        port = rnd.randrange(20000, low)
        if port in _taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("0.0.0.0", port))
            except OSError:
                continue
        _taken.add(port)
        return port
    raise RuntimeError("no free port found")


def wait_until(what, check, timeout, proc=None, log=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = open(log).read()[-3000:] if log else ""
            raise RuntimeError(f"{what} exited with {proc.returncode} while starting:\n{tail}")
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - not ready yet
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} not ready after {timeout}s" + (f", see {log}" if log else ""))


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def spawn(cmd, log, env=None, cwd=None, append=False):
    out = open(log, "a" if append else "w")
    # A new session: the server survives this script, and is stopped by its pid alone.
    return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                            start_new_session=True)


def rss_mb(pid):
    """Resident memory of a process and its children, in MiB."""
    total = 0
    try:
        out = subprocess.run(["ps", "-o", "rss=", "--ppid", str(pid), "-p", str(pid)],
                             capture_output=True, text=True).stdout
        total = sum(int(x) for x in out.split())
    except Exception:  # noqa: BLE001
        pass
    return total // 1024


def make_certs(d):
    """A throw-away CA and, signed by it, certificates for tests of TLS: etcd's server certificate
    (SAN 127.0.0.1), the TLS target Milvus's (SAN only DNS:milvus-cdc-test, so that a client must
    name the server to verify it) and a client certificate. Keys are PKCS#8 PEM, as Java reads them."""
    tls = os.path.join(d, "tls")
    os.makedirs(tls, exist_ok=True)

    def run(*args):
        subprocess.run(["openssl", *args], cwd=tls, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "3650",
        "-subj", "/CN=milvus-cdc test CA")
    for name, san in (("etcd-server", "IP:127.0.0.1,DNS:localhost"), ("target-server", "DNS:milvus-cdc-test"),
                      ("client", "DNS:milvus-cdc-client")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
            "-subj", f"/CN={name}")
        with open(os.path.join(tls, f"{name}.ext"), "w") as f:
            f.write(f"subjectAltName={san}\nextendedKeyUsage=serverAuth,clientAuth\n")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", f"{name}.pem", "-days", "3650", "-extfile", f"{name}.ext")
    return {k: os.path.join(tls, f) for k, f in (("ca", "ca.pem"), ("etcdCert", "etcd-server.pem"),
                                                   ("etcdKey", "etcd-server.key"), ("targetCert", "target-server.pem"),
                                                   ("targetKey", "target-server.key"), ("clientCert", "client.pem"),
                                                   ("clientKey", "client.key"))}


def start_etcd(d, certs):
    client, peer, tls = free_port(), free_port(), free_port()
    data = os.path.join(d, "etcd-data")
    log = os.path.join(d, "etcd.log")
    t0 = time.time()
    cmd = ["etcd", "--name", "cdc", "--data-dir", data,
           # The https listener requires a client certificate; the plain one serves the Milvus servers.
           "--listen-client-urls", f"http://127.0.0.1:{client},https://127.0.0.1:{tls}",
           "--advertise-client-urls", f"http://127.0.0.1:{client}",
           "--client-cert-auth", "--trusted-ca-file", certs["ca"],
           "--cert-file", certs["etcdCert"], "--key-file", certs["etcdKey"],
           "--listen-peer-urls", f"http://127.0.0.1:{peer}",
           "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
           "--initial-cluster", f"cdc=http://127.0.0.1:{peer}",
           "--quota-backend-bytes", str(4 * 1024 ** 3)]
    p = spawn(cmd, log)
    state = {"pid": p.pid, "endpoint": f"http://127.0.0.1:{client}", "port": client, "log": log,
             "tlsEndpoint": f"https://127.0.0.1:{tls}", "launch": {"cmd": cmd}}
    wait_ready("etcd", state, p)
    state["readySeconds"] = round(time.time() - t0, 2)
    return state


def start_kafka(d):
    port, ctrl = free_port(), free_port()
    kdir = os.path.join(d, "kafka")
    os.makedirs(kdir, exist_ok=True)
    props = os.path.join(kdir, "server.properties")
    with open(props, "w") as f:
        f.write(f"""process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{ctrl}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{ctrl}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs={kdir}/logs
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
message.max.bytes=10485760
replica.fetch.max.bytes=10485760
log.retention.hours=-1
""")
    with open(os.path.join(kdir, "log4j.properties"), "w") as f:
        f.write("log4j.rootLogger=WARN, stdout\n"
                "log4j.appender.stdout=org.apache.log4j.ConsoleAppender\n"
                "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n"
                "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n")
    java = ["java", "-Xms256m", "-Xmx512m", "-XX:+UseSerialGC",
            f"-Dlog4j.configuration=file:{kdir}/log4j.properties",
            "-cp", os.path.join(KAFKA_LIB, "*")]
    # A cluster id that starts with '-' is read by StorageTool as an option (seen: a failed format).
    cluster_id = "-"
    while cluster_id.startswith("-"):
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
    subprocess.run(java + ["kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", props],
                   check=True, capture_output=True)
    log = os.path.join(d, "kafka.log")
    t0 = time.time()
    p = spawn(java + ["kafka.Kafka", props], log)
    state = {"pid": p.pid, "bootstrap": f"127.0.0.1:{port}", "port": port, "log": log,
             "launch": {"cmd": java + ["kafka.Kafka", props]}}
    wait_ready("kafka", state, p)
    state["readySeconds"] = round(time.time() - t0, 2)
    return state


def jwt_hs256(secret, subject):
    """A Pulsar token: a JWT signed with the broker's secret key (what `pulsar tokens create` makes)."""
    def b64(raw):
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": "HS256"}).encode()) + "." + b64(json.dumps({"sub": subject}).encode())
    return head + "." + b64(hmac.new(secret, head.encode(), hashlib.sha256).digest())


def start_pulsar(d, name, with_token):
    """A Pulsar standalone (metadata in RocksDB, one bookie, no functions or stream storage).

    With a token, the broker refuses every client without a valid one (anonymous access off)."""
    port, web, bookie = free_port(), free_port(), free_port()
    pdir = os.path.join(d, name)
    os.makedirs(pdir, exist_ok=True)
    conf = os.path.join(pdir, "standalone.conf")
    token = None
    lines = [
        "clusterName=standalone",
        "bindAddress=127.0.0.1", "advertisedAddress=127.0.0.1",
        f"brokerServicePort={port}", f"webServicePort={web}",
        "managedLedgerDefaultEnsembleSize=1", "managedLedgerDefaultWriteQuorum=1",
        "managedLedgerDefaultAckQuorum=1",
        # Idle Milvus channels must not vanish (their producers come and go).
        "brokerDeleteInactiveTopicsEnabled=false",
        # Above Milvus's pulsar.maxMessageSize (5 MiB).
        "maxMessageSize=10485760", "nettyMaxFrameSizeBytes=10495760",
        "defaultRetentionTimeInMinutes=-1", "defaultRetentionSizeInMB=-1",
        "allowAutoTopicCreationType=non-partitioned",
        "dbStorage_writeCacheMaxSizeMb=32", "dbStorage_readAheadCacheMaxSizeMb=32",
        "dbStorage_rocksDB_blockCacheSize=16777216",
        "managedLedgerCacheSizeMB=64",
        # No NIC speed is readable in a container; the load balancer needs one.
        "loadBalancerOverrideBrokerNicSpeedGbps=10",
    ]
    if with_token:
        secret = os.urandom(32)
        token = jwt_hs256(secret, "cdc")
        lines += [
            "authenticationEnabled=true",
            "authenticationProviders=org.apache.pulsar.broker.authentication.AuthenticationProviderToken",
            "tokenSecretKey=data:;base64," + base64.b64encode(secret).decode(),
            "superUserRoles=cdc",
            "brokerClientAuthenticationPlugin=org.apache.pulsar.client.impl.auth.AuthenticationToken",
            "brokerClientAuthenticationParameters=token:" + token,
        ]
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(pdir, "log4j2.properties"), "w") as f:
        f.write("rootLogger.level=warn\nrootLogger.appenderRef.out.ref=out\n"
                "appender.out.type=Console\nappender.out.name=out\nappender.out.layout.type=PatternLayout\n"
                "appender.out.layout.pattern=%d %p %c{1} %m%n\n")
    opens = [f"--add-opens={m}=ALL-UNNAMED" for m in (
        "java.base/java.lang", "java.base/java.io", "java.base/java.util", "java.base/sun.net",
        "java.management/sun.management", "jdk.management/com.sun.management.internal")]
    java = ["java", "-Xms128m", "-Xmx512m", "-XX:MaxDirectMemorySize=512m", "-XX:+UseSerialGC", *opens,
            f"-Dlog4j.configurationFile={pdir}/log4j2.properties", "-Dpulsar.log.level=warn",
            "-cp", os.path.join(PULSAR_LIB, "*"),
            "org.apache.pulsar.PulsarStandaloneStarter", "--config", conf,
            "--no-functions-worker", "--no-stream-storage", "--wipe-data",
            "--bookkeeper-port", str(bookie),
            "--bookkeeper-dir", os.path.join(pdir, "bookkeeper"), "--metadata-dir", os.path.join(pdir, "metadata")]
    log = os.path.join(d, f"{name}.log")
    t0 = time.time()
    p = spawn(java, log, cwd=pdir)
    # Started again after a fault, it keeps its data.
    again = [a for a in java if a != "--wipe-data"]
    return {"pid": p.pid, "proc": p, "t0": t0, "log": log, "name": name, "launch": {"cmd": again, "cwd": pdir},
            "serviceUrl": f"pulsar://127.0.0.1:{port}", "webUrl": f"http://127.0.0.1:{web}",
            "port": port, "webPort": web, "tenant": "public", "namespace": "default",
            **({"token": token} if token else {})}


def wait_pulsar(p):
    """Ready when the standalone has created its default namespace, its last start-up step."""
    def ready():
        request = urllib.request.Request(p["webUrl"] + "/admin/v2/namespaces/public")
        if "token" in p:
            request.add_header("Authorization", "Bearer " + p["token"])
        return b"public/default" in urllib.request.urlopen(request, timeout=2).read()
    wait_until(f"pulsar {p['name']}", ready, 180, p["proc"], p["log"])
    p["readySeconds"] = round(time.time() - p.pop("t0"), 2)
    p.pop("proc")
    return p


def milvus_config(d, name, etcd_endpoint, mq, ports, tls=None):
    """The wheel's own milvus.yaml template, rendered, with this stack's values on top.

    Milvus 2.3 takes several defaults (channel name parts among them) only from the file,
    so a partial milvus.yaml is not enough.
    """
    sys.path.insert(0, os.path.join(STACK_HOME, "pylib"))
    import yaml  # noqa: E402 - installed into .stack/pylib by install-stack.sh

    template = open(os.path.join(STACK_HOME, "milvus", "milvus.yaml.template")).read()
    # Placeholders look like {{ name(type): default }} or {{ name }}.
    text = re.sub(r"\{\{\s*([a-z_]+)(?:\([a-z]+\))?(?::\s*([^}]*?))?\s*\}\}",
                  lambda m: (m.group(2) or "").strip() or "''", template)
    config = yaml.safe_load(text)
    overrides = {
        "etcd": {"endpoints": [etcd_endpoint.replace("http://", "")], "rootPath": name,
                 "metaSubPath": "meta", "kvSubPath": "kv", "use": {"embed": False},
                 "log": {"level": "warn", "path": "stdout"}},
        "common": {"storageType": "local", "chanNamePrefix": {"cluster": name},
                   "security": {"authorizationEnabled": False}},
        "localStorage": {"path": f"{d}/data"},
        "minio": {"rootPath": name},
        "mq": {"type": mq["type"]},
        "rocksmq": {"path": f"{d}/rdb_data"},
        "natsmq": {"server": {"store": {"dir": f"{d}/nats"}}},
        "rootCoord": {"dmlChannelNum": DML_CHANNELS, "port": ports["rootCoord"], "ip": "127.0.0.1"},
        "proxy": {"port": ports["proxy"], "internalPort": ports["proxyInternal"], "ip": "127.0.0.1"},
        "queryCoord": {"port": ports["queryCoord"], "ip": "127.0.0.1"},
        "queryNode": {"port": ports["queryNode"], "ip": "127.0.0.1"},
        "indexCoord": {"bindIndexNodeMode": {"address": "127.0.0.1:" + str(ports["indexNode"])}},
        "indexNode": {"port": ports["indexNode"], "ip": "127.0.0.1"},
        "dataCoord": {"port": ports["dataCoord"], "ip": "127.0.0.1"},
        "dataNode": {"port": ports["dataNode"], "ip": "127.0.0.1"},
        "log": {"level": "warn", "file": {"rootPath": ""}},
        "tls": {"serverPemPath": "", "serverKeyPath": "", "caPemPath": ""},
    }
    if mq["type"] == "kafka":
        overrides["kafka"] = {"brokerList": mq["bootstrap"]}
    else:
        overrides["pulsar"] = {"address": "127.0.0.1", "port": mq["port"], "webport": mq["webPort"],
                               "tenant": mq["tenant"], "namespace": mq["namespace"]}
    if tls:
        # Two-way TLS on the proxy's port: the client needs the CA, a certificate and the server's name.
        overrides["tls"] = {"serverPemPath": tls["targetCert"], "serverKeyPath": tls["targetKey"], "caPemPath": tls["ca"]}
        overrides["common"]["security"]["tlsMode"] = 2
    deep_merge(config, overrides)
    return yaml.safe_dump(config, sort_keys=False)


def deep_merge(base, extra):
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            deep_merge(base[k], v)
        else:
            base[k] = v


def start_milvus(d, name, etcd_endpoint, mq, tls=None):
    mdir = os.path.join(d, name)
    os.makedirs(os.path.join(mdir, "conf"), exist_ok=True)
    os.makedirs(os.path.join(mdir, "run"), exist_ok=True)
    ports = {k: free_port() for k in ("rootCoord", "proxy", "proxyInternal", "queryCoord", "queryNode",
                                      "indexCoord", "indexNode", "dataCoord", "dataNode", "metrics")}
    with open(os.path.join(mdir, "conf", "milvus.yaml"), "w") as f:
        f.write(milvus_config(mdir, name, etcd_endpoint, mq, ports, tls))
    # The segcore (C++) side reads its glog settings beside milvus.yaml.
    with open(os.path.join(mdir, "conf", "glog.conf"), "w") as f:
        f.write("--logtostdout=true\n--minloglevel=2\n")
    extra = {"MILVUSCONF": os.path.join(mdir, "conf"), "DEPLOY_MODE": "STANDALONE",
             "METRICS_PORT": str(ports["metrics"]), "MILVUS_RUN_DIR": os.path.join(mdir, "run"),
             "LD_LIBRARY_PATH": MILVUS_BIN + ":" + os.environ.get("LD_LIBRARY_PATH", "")}
    log = os.path.join(d, f"{name}.log")
    t0 = time.time()
    cmd = [os.path.join(MILVUS_BIN, "milvus"), "run", "standalone", "--alias", name]
    p = spawn(cmd, log, env=dict(os.environ, **extra), cwd=mdir)
    return {"pid": p.pid, "proc": p, "t0": t0, "log": log, "name": name,
            "launch": {"cmd": cmd, "cwd": mdir, "env": extra},
            "uri": f"{'https' if tls else 'http'}://127.0.0.1:{ports['proxy']}", "host": "127.0.0.1", "port": ports["proxy"],
            "metricsPort": ports["metrics"], "rootPath": name, "metaSubPath": "meta",
            "channelPrefix": name, "dmlChannels": DML_CHANNELS}


def wait_milvus(m, restart, attempts=3):
    """Waits until Milvus is healthy; a port taken meanwhile by another process is retried on new ports."""
    for attempt in range(attempts):
        url = f"http://127.0.0.1:{m['metricsPort']}/healthz"
        try:
            wait_until(f"milvus {m['name']}", lambda: b"OK" in urllib.request.urlopen(url, timeout=1).read(),
                       180, m["proc"], m["log"])
            m["readySeconds"] = round(time.time() - m.pop("t0"), 2)
            m.pop("proc")
            return m
        except RuntimeError:
            clash = "address already in use" in open(m["log"]).read()
            if not clash or attempt == attempts - 1:
                raise
            m = restart(m)
    return m


def wait_ready(key, server, proc, timeout=180):
    """Waits until a server of the stack answers, by its kind."""
    if key == "etcd":
        check = lambda: b"true" in urllib.request.urlopen(server["endpoint"] + "/health", timeout=1).read()  # noqa: E731
    elif key == "kafka":
        check = lambda: port_open(server["port"])  # noqa: E731
    elif key.startswith("pulsar") and "Milvus" not in key:
        def check():
            request = urllib.request.Request(server["webUrl"] + "/admin/v2/namespaces/public")
            if "token" in server:
                request.add_header("Authorization", "Bearer " + server["token"])
            return b"public/default" in urllib.request.urlopen(request, timeout=2).read()
    else:
        url = f"http://127.0.0.1:{server['metricsPort']}/healthz"
        check = lambda: b"OK" in urllib.request.urlopen(url, timeout=1).read()  # noqa: E731
    wait_until(key, check, timeout, proc, server["log"])


def stop_server(d, key, kill=False):
    """Stops one server of the stack, as a fault: SIGTERM (or SIGKILL); its data and ports stay."""
    state_file = os.path.join(os.path.abspath(d), "stack.json")
    state = json.load(open(state_file))
    if kill:
        try:
            os.kill(state[key]["pid"], signal.SIGKILL)
        except ProcessLookupError:
            pass
    stop_pid(state[key]["pid"])


def launch_server(server):
    """Spawns a server of the stack as it was launched first (its recorded command), records its pid."""
    launch = server["launch"]
    env = dict(os.environ, **launch["env"]) if "env" in launch else None
    p = spawn(launch["cmd"], server["log"], env=env, cwd=launch.get("cwd"), append=True)
    server["pid"] = p.pid
    return p


def start_server(d, key):
    """Starts a stopped server of the stack again with its ports, configuration and data."""
    state_file = os.path.join(os.path.abspath(d), "stack.json")
    state = json.load(open(state_file))
    server = state[key]
    t0 = time.time()
    p = launch_server(server)
    json.dump(state, open(state_file, "w"), indent=2)
    wait_ready(key, server, p)
    print(json.dumps({key: {"ready_s": round(time.time() - t0, 2)}}))


def restart_servers(d, keys):
    """kill -9 of `keys`, then all started again at once (a supervisor restarting what depends on a
    server that came back): one write of stack.json, the readiness waits side by side."""
    state_file = os.path.join(os.path.abspath(d), "stack.json")
    for key in keys:
        stop_server(d, key, kill=True)
    state = json.load(open(state_file))
    t0 = time.time()
    procs = {key: launch_server(state[key]) for key in keys}
    json.dump(state, open(state_file, "w"), indent=2)
    errors = []

    def wait(key):
        try:
            wait_ready(key, state[key], procs[key])
        except Exception as e:  # noqa: BLE001 - reported below, after the others
            errors.append(e)
    waits = [threading.Thread(target=wait, args=(key,)) for key in keys]
    for t in waits:
        t.start()
    for t in waits:
        t.join()
    if errors:
        raise errors[0]
    print(json.dumps({"restarted": keys, "ready_s": round(time.time() - t0, 2)}))


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a child of ours that exited is a zombie until reaped
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return True


def heal(d):
    """What a supervisor (systemd, Kubernetes) does after a fault: a server that exited (a Milvus
    whose etcd or broker went away may) is started again; one that runs but stays unhealthy for a
    minute is restarted. Prints the servers it started."""
    state_file = os.path.join(os.path.abspath(d), "stack.json")
    started = []
    for key in ("etcd", "kafka", "pulsar", "pulsarAuth", "sourceMilvus", "pulsarSourceMilvus", "targetMilvus"):
        server = json.load(open(state_file)).get(key)
        if server is None:
            continue
        if alive(server["pid"]):
            try:
                wait_ready(key, server, None, timeout=60)
                continue
            except Exception:  # noqa: BLE001 - any failure to become ready: restart it
                stop_server(d, key, kill=True)
        start_server(d, key)
        started.append(key)
    print(json.dumps({"started": started}))


def up(d):
    d = os.path.abspath(d)
    os.makedirs(d, exist_ok=True)
    state_file = os.path.join(d, "stack.json")
    if os.path.exists(state_file):
        down(d)
    # Every up starts from empty data: tests assert on exact contents.
    for entry in os.listdir(d):
        path = os.path.join(d, entry)
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    state = {"dir": d, "tls": make_certs(d)}
    milvus = (("sourceMilvus", "cdc-source"), ("pulsarSourceMilvus", "cdc-source-pulsar"), ("targetMilvus", "cdc-target"))
    try:
        state["etcd"] = start_etcd(d, state["tls"])
        state["kafka"] = start_kafka(d)
        kafka_mq = {"type": "kafka", "bootstrap": state["kafka"]["bootstrap"]}
        # Everything else starts together: on two cores this overlaps the slow starts.
        state["pulsar"] = start_pulsar(d, "pulsar", with_token=False)
        state["pulsarAuth"] = start_pulsar(d, "pulsar-auth", with_token=True)
        mqs = {"sourceMilvus": kafka_mq, "targetMilvus": kafka_mq}
        for key in ("sourceMilvus", "targetMilvus"):
            state[key] = start_milvus(d, dict(milvus)[key], state["etcd"]["endpoint"], mqs[key])
        # Milvus on Pulsar needs its broker up before it starts.
        state["pulsar"] = wait_pulsar(state["pulsar"])
        mqs["pulsarSourceMilvus"] = dict({"type": "pulsar"}, **state["pulsar"])
        state["pulsarSourceMilvus"] = start_milvus(d, "cdc-source-pulsar", state["etcd"]["endpoint"],
                                                   mqs["pulsarSourceMilvus"])
        for key, name in milvus:
            state[key] = wait_milvus(state[key], lambda m, k=key: start_milvus(d, m["name"], state["etcd"]["endpoint"],
                                                                             mqs[k]))
        state["pulsarAuth"] = wait_pulsar(state["pulsarAuth"])
    except Exception:
        for k in state:
            if isinstance(state[k], dict):
                state[k].pop("proc", None)
        json.dump(state, open(state_file, "w"), indent=2)
        down(d)
        raise
    servers = ("etcd", "kafka", "pulsar", "pulsarAuth", "sourceMilvus", "pulsarSourceMilvus", "targetMilvus")
    for k in servers:
        state[k]["rssMiB"] = rss_mb(state[k]["pid"])
    json.dump(state, open(state_file, "w"), indent=2)
    print(json.dumps({k: {"ready_s": state[k]["readySeconds"], "rss_MiB": state[k]["rssMiB"]} for k in servers}))
    return state


def start_tls_target(d):
    """Starts the TLS target Milvus (once; again after stop-server) on the stack's etcd and Kafka."""
    state_file = os.path.join(os.path.abspath(d), "stack.json")
    state = json.load(open(state_file))
    if "tlsTargetMilvus" in state:
        if not alive(state["tlsTargetMilvus"]["pid"]):
            start_server(d, "tlsTargetMilvus")
        return
    mq = {"type": "kafka", "bootstrap": state["kafka"]["bootstrap"]}

    def start(_m=None):
        return start_milvus(state["dir"], "cdc-target-tls", state["etcd"]["endpoint"], mq, state["tls"])
    m = wait_milvus(start(), start)
    state = json.load(open(state_file))
    state["tlsTargetMilvus"] = m
    json.dump(state, open(state_file, "w"), indent=2)
    print(json.dumps({"tlsTargetMilvus": {"ready_s": m["readySeconds"]}}))


def stop_pid(pid, timeout=20):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        # Reap it if it is our child (a stack started and stopped in one process).
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def down(d, grace=None):
    """Stops every server. With `grace` (seconds) all at once, killed after that: for throw-away
    data (the demo), since Milvus 2.3 takes over 20 s to exit on SIGTERM."""
    state_file = os.path.join(os.path.abspath(d), "stack.json")
    if not os.path.exists(state_file):
        return
    state = json.load(open(state_file))
    # Milvus first (they use etcd and the brokers), then the brokers, then etcd.
    order = ("tlsTargetMilvus", "targetMilvus", "pulsarSourceMilvus", "sourceMilvus", "pulsarAuth", "pulsar", "kafka", "etcd")
    pids = [state[k]["pid"] for k in order if k in state and "pid" in state[k]]
    if grace is None:
        for pid in pids:
            stop_pid(pid)
    else:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.time() + grace
        for pid in pids:
            stop_pid(pid, timeout=max(0.1, deadline - time.time()))
    if os.path.exists(state_file):
        os.remove(state_file)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["up", "down", "stop-server", "start-server", "restart-servers", "heal",
                                        "start-tls-target"])
    ap.add_argument("--dir", default=os.path.join(ROOT, "target", "stack"))
    ap.add_argument("--grace", type=float, help="down: stop all at once, kill after this many seconds")
    ap.add_argument("--server", help="stop-server / start-server: a key of stack.json, e.g. targetMilvus;"
                                     " restart-servers: keys separated by commas")
    ap.add_argument("--kill", action="store_true", help="stop-server: SIGKILL instead of SIGTERM")
    a = ap.parse_args()
    if a.command == "up":
        up(a.dir)
    elif a.command == "down":
        down(a.dir, a.grace)
    elif a.command == "stop-server":
        stop_server(a.dir, a.server, a.kill)
    elif a.command == "restart-servers":
        restart_servers(a.dir, a.server.split(","))
    elif a.command == "heal":
        heal(a.dir)
    elif a.command == "start-tls-target":
        start_tls_target(a.dir)
    else:
        start_server(a.dir, a.server)


if __name__ == "__main__":
    sys.exit(main())
