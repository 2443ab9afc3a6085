#!/usr/bin/env python3
"""A real Flink 1.20 standalone session cluster from Maven Central jars (no flink-dist tarball
exists there), configured by the project's flink-conf/config.yaml as shipped: only addresses,
ports and directories are overridden.

    flink_cluster.py up      --dir DIR [--taskmanagers N] [--slots S] [--rest-port P]   start, write DIR/cluster.json
    flink_cluster.py down    --dir DIR [--grace S]      stop every process of DIR/cluster.json by its pid
    flink_cluster.py kill-tm --dir DIR [--index I]      kill -9 a TaskManager (and clean its working dir)
    flink_cluster.py start-tm --dir DIR [--index I]     start that TaskManager again
    flink_cluster.py flink   --dir DIR -- ARGS...       the `flink` CLI against this cluster (run, stop, ...)

`scripts/install-stack.sh` installs the class path into .stack/flink/lib. Tests and the demo use
this script, so the cluster a test sees is the one a developer starts by hand.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stack  # noqa: E402 - free_port, wait_until, spawn, stop_pid, STACK_HOME

ROOT = stack.ROOT
FLINK_LIB = os.path.join(stack.STACK_HOME, "flink", "lib")
SHIPPED_CONF = os.path.join(ROOT, "flink-conf", "config.yaml")
SHIPPED_LOG4J = os.path.join(ROOT, "flink-conf", "log4j-console.properties")


def jvm_opens():
    """Flink's --add-opens/--add-exports list for JDK 17, kept once in the parent pom."""
    pom = open(os.path.join(ROOT, "pom.xml")).read()
    return re.search(r"<flink.jvm.opens>(.*?)</flink.jvm.opens>", pom).group(1).split()


def classpath():
    if not os.path.isfile(os.path.join(FLINK_LIB, ".complete")):
        raise RuntimeError(f"no Flink class path in {FLINK_LIB}: run scripts/install-stack.sh")
    return os.path.join(FLINK_LIB, "*")


def yaml_module():
    sys.path.insert(0, os.path.join(stack.STACK_HOME, "pylib"))
    import yaml  # noqa: E402 - installed into .stack/pylib by install-stack.sh
    return yaml


def write_conf(d, rest_port, log_level=None, slots=None):
    """The shipped config.yaml with this cluster's addresses, ports and directories on top."""
    yaml = yaml_module()
    config = yaml.safe_load(open(SHIPPED_CONF))
    prom = stack.free_port()
    overrides = {
        "jobmanager": {"rpc": {"address": "127.0.0.1", "port": stack.free_port()}, "bind-host": "127.0.0.1"},
        "taskmanager": dict({"bind-host": "127.0.0.1", "host": "127.0.0.1"},
                            **({"numberOfTaskSlots": slots} if slots else {})),
        "rest": {"address": "127.0.0.1", "bind-address": "127.0.0.1", "port": rest_port},
        "blob": {"server": {"port": str(stack.free_port())}},
        "execution": {"checkpointing": {"dir": "file://" + os.path.join(d, "checkpoints"),
                                        "savepoint-dir": "file://" + os.path.join(d, "savepoints")}},
        "io": {"tmp": {"dirs": os.path.join(d, "tmp")}},
        # Working directories (RocksDB, blobs) inside DIR: a killed TaskManager leaves ~100 MB behind.
        "process": {"working-dir": os.path.join(d, "work")},
        "metrics": {"reporter": {"prom": {"port": f"{prom}-{prom + 8}"}}},
        "web": {"upload": {"dir": os.path.join(d, "upload")}},
        # RocksDB writes a LOG file per state instance beside the process log unless told otherwise.
        "state": {"backend": {"rocksdb": {"log": {"dir": os.path.join(d, "rocksdb-logs")}}}},
    }
    stack.deep_merge(config, overrides)
    conf = os.path.join(d, "conf")
    os.makedirs(conf, exist_ok=True)
    with open(os.path.join(conf, "config.yaml"), "w") as f:
        yaml.safe_dump(config, f, sort_keys=False)
    log4j = open(SHIPPED_LOG4J).read()
    if log_level:
        # Everything at this level (a test that scans every log line for secrets), the shipped caps kept.
        log4j = log4j.replace("rootLogger.level = WARN", f"rootLogger.level = {log_level}")
        log4j = log4j.replace("logger.cdc.level = INFO", f"logger.cdc.level = {log_level}")
    with open(os.path.join(conf, "log4j.properties"), "w") as f:
        f.write(log4j)
    for sub in ("checkpoints", "savepoints", "tmp", "work", "upload", "rocksdb-logs"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    return conf


def resource_params(conf, which):
    """JVM flags and dynamic properties as Flink's own scripts compute them (BashJavaUtils)."""
    out = subprocess.run(["java", "-cp", classpath(), "org.apache.flink.runtime.util.bash.BashJavaUtils", which,
                          "--configDir", conf], capture_output=True, text=True, check=True).stdout.splitlines()
    results = [line.split(":", 1)[1].split() for line in out if line.startswith("BASH_JAVA_UTILS_EXEC_RESULT:")]
    return results[0], results[1]


def java_opts(conf, which):
    """env.java.opts.all and env.java.opts.<which> of the cluster's config.yaml, as Flink's scripts add them."""
    config = yaml_module().safe_load(open(os.path.join(conf, "config.yaml")))

    def get(path):
        node = config
        for i, part in enumerate(path):
            flat = ".".join(path[i:])
            if isinstance(node, dict) and flat in node:
                return node[flat]
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    opts = []
    for key in ("all", which):
        value = get(["env", "java", "opts", key])
        if isinstance(value, str):
            opts += value.split()
    return opts


def java_cmd(conf, main, jvm=(), args=(), log_name="flink"):
    return (["java"] + list(jvm) + jvm_opens()
            + [f"-Dlog4j.configurationFile=file:{os.path.join(conf, 'log4j.properties')}",
               f"-Dlog.file={log_name}", "-cp", classpath(), main] + list(args))


def rest(state, path):
    return json.loads(urllib.request.urlopen(f"{state['restUrl']}{path}", timeout=2).read())


def start_tm(d, state, index):
    conf = state["conf"]
    jvm, dynamic = resource_params(conf, "GET_TM_RESOURCE_PARAMS")
    log = os.path.join(d, f"taskmanager-{index}.log")
    # Appended to: a restarted TaskManager's log follows its predecessor's.
    out = open(log, "a")
    # Its own working directory (RocksDB, blobs): what a killed one leaves is removed by kill_tm.
    work = ["-D", "process.taskmanager.working-dir=" + tm_work(d, index)]
    jvm = jvm + java_opts(conf, "taskmanager")
    p = subprocess.Popen(java_cmd(conf, "org.apache.flink.runtime.taskexecutor.TaskManagerRunner", jvm,
                                  ["--configDir", conf] + dynamic + work, log),
                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    tms = state.setdefault("taskmanagers", {})
    tms[str(index)] = {"pid": p.pid, "log": log, "startedAt": time.time()}
    return p


def tm_work(d, index):
    return os.path.join(d, "work", f"tm-{index}")


def registered_tms(state):
    return rest(state, "/overview")["taskmanagers"]


def wait_tms(state, count, timeout=120):
    stack.wait_until(f"{count} TaskManager(s) registered", lambda: registered_tms(state) == count, timeout)


def save(d, state):
    json.dump(state, open(os.path.join(d, "cluster.json"), "w"), indent=2)


def load(d):
    return json.load(open(os.path.join(os.path.abspath(d), "cluster.json")))


def up(d, taskmanagers=1, rest_port=None, log_level=None, slots=None):
    d = os.path.abspath(d)
    os.makedirs(d, exist_ok=True)
    if os.path.exists(os.path.join(d, "cluster.json")):
        down(d)
    for entry in os.listdir(d):
        path = os.path.join(d, entry)
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    rest_port = rest_port or stack.free_port()
    conf = write_conf(d, rest_port, log_level, slots)
    state = {"dir": d, "conf": conf, "restUrl": f"http://127.0.0.1:{rest_port}", "restPort": rest_port}
    t0 = time.time()
    jvm, dynamic = resource_params(conf, "GET_JM_RESOURCE_PARAMS")
    log = os.path.join(d, "jobmanager.log")
    jvm = jvm + java_opts(conf, "jobmanager")
    jm = stack.spawn(java_cmd(conf, "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", jvm,
                              ["--configDir", conf, "--executionMode", "cluster"] + dynamic, log), log)
    state["jobmanager"] = {"pid": jm.pid, "log": log}
    save(d, state)
    try:
        for i in range(taskmanagers):
            start_tm(d, state, i)
        save(d, state)
        stack.wait_until("the JobManager's REST API", lambda: rest(state, "/overview") is not None, 120, jm, log)
        wait_tms(state, taskmanagers)
    except Exception:
        down(d)
        raise
    state["readySeconds"] = round(time.time() - t0, 2)
    save(d, state)
    print(json.dumps({"restUrl": state["restUrl"], "ready_s": state["readySeconds"]}))
    return state


def kill_tm(d, index=0):
    """kill -9, as a machine failure would; then clean what the dead process leaves on disk."""
    state = load(d)
    tm = state["taskmanagers"][str(index)]
    try:
        os.kill(tm["pid"], signal.SIGKILL)
    except ProcessLookupError:
        pass
    stack.wait_until("the killed TaskManager to be gone", lambda: not alive(tm["pid"]), 30)
    shutil.rmtree(tm_work(state["dir"], index), ignore_errors=True)
    tm["killedAt"] = time.time()
    save(d, state)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie child of this process counts as gone
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def start_tm_again(d, index=0):
    state = load(d)
    start_tm(state["dir"], state, index)
    save(state["dir"], state)


def down(d, grace=10):
    """Stops the cluster's processes, each killed if it has not exited after `grace` seconds."""
    d = os.path.abspath(d)
    path = os.path.join(d, "cluster.json")
    if not os.path.exists(path):
        return
    state = json.load(open(path))
    pids = [tm["pid"] for tm in state.get("taskmanagers", {}).values()]
    pids += [state["jobmanager"]["pid"]] if "jobmanager" in state else []
    # All at once: each takes seconds to shut down, and nothing is left to hand over.
    stopping = [threading.Thread(target=stack.stop_pid, args=(pid, grace)) for pid in pids]
    for t in stopping:
        t.start()
    for t in stopping:
        t.join()
    os.remove(path)


def flink(d, args):
    """The `flink` CLI (CliFrontend) with this cluster's configuration; returns its exit code."""
    state = load(d)
    env = dict(os.environ, FLINK_CONF_DIR=state["conf"])
    cmd = java_cmd(state["conf"], "org.apache.flink.client.cli.CliFrontend", java_opts(state["conf"], "client"),
                   args, os.path.join(state["dir"], "client.log"))
    return subprocess.run(cmd, env=env).returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["up", "down", "kill-tm", "start-tm", "flink"])
    ap.add_argument("--dir", default=os.path.join(ROOT, "target", "flink-cluster"))
    ap.add_argument("--taskmanagers", type=int, default=1)
    ap.add_argument("--slots", type=int, help="up: slots per TaskManager; default: as shipped")
    ap.add_argument("--rest-port", type=int)
    ap.add_argument("--index", type=int, default=0)
    ap.add_argument("--log-level", help="up: the level of every logger (e.g. DEBUG); default: as shipped")
    ap.add_argument("--grace", type=float, default=10,
                    help="down: seconds each process has to exit before it is killed (tests pass 2: their data is thrown away)")
    argv = sys.argv[1:]
    cli = argv[argv.index("--") + 1:] if "--" in argv else []
    a = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    if a.command == "up":
        up(a.dir, a.taskmanagers, a.rest_port, a.log_level, a.slots)
    elif a.command == "down":
        down(a.dir, a.grace)
    elif a.command == "kill-tm":
        kill_tm(a.dir, a.index)
    elif a.command == "start-tm":
        start_tm_again(a.dir, a.index)
    else:
        return flink(a.dir, cli)
    return 0


if __name__ == "__main__":
    sys.exit(main())
