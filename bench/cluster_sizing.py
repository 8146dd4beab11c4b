#!/usr/bin/env python3
"""Sizing figures for a cluster, measured on this machine: the PostgreSQL ledger's claims and
completions per second (bench/LedgerBench), and the time from SIGKILL of a node to its work
running elsewhere (three real Pdm.Node processes copying a tree).

From the root of a clean clone, as root (PostgreSQL from Debian's packages; minutes):
  dotnet build -c Release Pdm.sln && dotnet build -c Release bench/LedgerBench && bench/cluster_sizing.py

Usage: bench/cluster_sizing.py [--nodes 1,2,4] [--threads 8] [--items 20000] [--files 64]
                               [--failovers 3] [--workdir /tmp/pdm-sizing] [--skip-ledger] [--skip-failover]

Its own PostgreSQL server (durable settings: fsync on, as in production) in a temporary directory
on 127.0.0.1, stopped at the end.
"""
import argparse, glob, json, os, shutil, signal, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(os.path.dirname(ROOT), "shared", "bench")
PDM = os.path.join(ROOT, "src/Pdm.Shell/bin/Release/net10.0/pdm")
NODE = os.path.join(ROOT, "src/Pdm.Node/bin/Release/net10.0/Pdm.Node")
LEDGER_BENCH = os.path.join(ROOT, "bench/LedgerBench/bin/Release/net10.0/LedgerBench")


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port


class Postgres:
    def __init__(self, workdir):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins:
            sys.exit("no PostgreSQL: apt-get install postgresql")
        self.bin = bins[-1]
        self.dir = tempfile.mkdtemp(prefix="pg-", dir=workdir)
        shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()
        self.run("initdb", "-D", f"{self.dir}/data", "-A", "trust", "-U", "pdm", "-E", "UTF8")
        self.run("pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/log", "-w", "-o",
                 f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c max_connections=300 -c shared_buffers=256MB", "start")

    def run(self, tool, *args):
        subprocess.run(["runuser", "-u", "postgres", "--", f"{self.bin}/{tool}", *args], check=True, stdout=subprocess.DEVNULL)

    def uri(self, db):
        return f"postgresql://pdm@127.0.0.1:{self.port}/{db}"

    def sql(self, db, query):
        r = subprocess.run([f"{self.bin}/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "pdm", "-d", db, "-Atc", query],
                           check=True, capture_output=True, text=True)
        return r.stdout.strip()

    def create(self, db):
        self.sql("postgres", f"CREATE DATABASE {db}")
        return self.uri(db)

    def stop(self):
        self.run("pg_ctl", "-D", f"{self.dir}/data", "-m", "fast", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


def ledger_throughput(pg, a):
    print(f"== ledger throughput on PostgreSQL ({a.items} items of {a.files} files; each thread claims 8, completes them in one transaction)")
    uri = pg.create("ledger_bench")
    subprocess.run([LEDGER_BENCH, "--ledger", uri, "--nodes", a.nodes, "--threads", str(a.threads),
                    "--items", str(a.items), "--files", str(a.files)], check=True)


def failover(pg, a, round_no):
    db = f"failover_{round_no}"
    uri = pg.create(db)
    subprocess.run([PDM, "ledger", "migrate", "--ledger", uri], check=True, stdout=subprocess.DEVNULL)
    src = os.path.join(a.workdir, "src")
    if not os.path.exists(src):
        subprocess.run([sys.executable, os.path.join(BENCH, "mktree.py"), "small", src, "--scale", "1"], check=True)
    dst = os.path.join(a.workdir, f"dst-{round_no}")
    ports = [free_port() for _ in range(3)]
    seeds = ",".join(f"127.0.0.1:{p}" for p in ports[:2])
    # The cluster's own CA and certificates (a cluster runs over mutual TLS), and a node config that lets it work anywhere.
    tls = os.path.join(a.workdir, f"tls-{round_no}")
    if not os.path.exists(tls):
        subprocess.run([PDM, "cluster", "init", tls], check=True, stdout=subprocess.DEVNULL)
    conf = os.path.join(a.workdir, "node.conf")
    with open(conf, "w") as f: f.write("allow-any-path = true\n")
    logs, nodes = [], []
    for i, port in enumerate(ports):
        log = open(os.path.join(a.workdir, f"node-{round_no}-{i}.log"), "w")
        logs.append(log)
        nodes.append(subprocess.Popen([NODE, "--ledger", uri, "--bind", f"127.0.0.1:{port}", "--seeds", seeds, "--threads", "4",
                                       "--tls", tls, "--config", conf],
                                      stdout=log, stderr=subprocess.STDOUT))
    try:
        for _ in range(120):
            r = subprocess.run([PDM, "nodes", "--json", "--cluster", seeds, "--tls", tls], capture_output=True, text=True)
            if r.returncode == 0 and sum(1 for n in json.loads(r.stdout)["nodes"] if n["status"] == "up" and n["node_id"]) == 3:
                break
            time.sleep(0.5)
        else:
            sys.exit("the cluster did not form")
        r = subprocess.run([PDM, "copy", src, dst, "--detach", "--cluster", seeds, "--tls", tls], check=True, capture_output=True, text=True)
        pass_id = r.stdout.strip()
        victim = f"akka.ssl.tcp://pdm@127.0.0.1:{ports[2]}#%"
        node_id, held = "", []
        for _ in range(600):
            node_id = pg.sql(db, f"SELECT id FROM nodes WHERE address LIKE '{victim}'")
            # What it holds, read once and killed right after: the items it had in hand.
            held = pg.sql(db, f"SELECT id FROM work_items WHERE lease_owner = '{node_id}' AND state = 'leased'").split() if node_id else []
            if held:
                break
            time.sleep(0.05)
        else:
            sys.exit("the node to kill never held any work")
        nodes[2].send_signal(signal.SIGKILL)
        killed = time.monotonic()
        released = elsewhere = None
        ids = ",".join(held)
        while time.monotonic() - killed < 180:
            still = int(pg.sql(db, f"SELECT count(*) FROM work_items WHERE lease_owner = '{node_id}'"))
            if still == 0 and released is None:
                released = time.monotonic() - killed
            taken = int(pg.sql(db, f"SELECT count(*) FROM work_items WHERE id IN ({ids}) AND (state = 'done' OR (state = 'leased' AND lease_owner <> '{node_id}'))"))
            gone = len(held) - int(pg.sql(db, f"SELECT count(*) FROM work_items WHERE id IN ({ids})"))
            if released is not None and taken + gone == len(held):
                elsewhere = time.monotonic() - killed
                break
            time.sleep(0.1)
        print(f"  failover {round_no}: node held {len(held)} items; released {released:.1f} s after SIGKILL, all running or done elsewhere after {elsewhere:.1f} s")
        subprocess.run([PDM, "status", pass_id, "--follow", "--cluster", seeds], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, os.path.join(BENCH, "treediff.py"), src, dst], check=True, stdout=subprocess.DEVNULL)
        return released, elsewhere
    finally:
        for n in nodes:
            if n.poll() is None:
                n.send_signal(signal.SIGTERM)
        for n in nodes:
            try: n.wait(60)
            except subprocess.TimeoutExpired: n.kill()
        for log in logs: log.close()
        shutil.rmtree(dst, ignore_errors=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nodes", default="1,2,4")
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--items", type=int, default=20000)
    p.add_argument("--files", type=int, default=64)
    p.add_argument("--failovers", type=int, default=3)
    p.add_argument("--workdir", default="/tmp/pdm-sizing")
    p.add_argument("--skip-ledger", action="store_true")
    p.add_argument("--skip-failover", action="store_true")
    a = p.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    pg = Postgres(a.workdir)
    try:
        if not a.skip_ledger:
            ledger_throughput(pg, a)
        if not a.skip_failover:
            print("== failover: SIGKILL of one of three nodes copying `small` (its leases go back when the cluster removes it)")
            results = [failover(pg, a, i) for i in range(a.failovers)]
            rel = sorted(r[0] for r in results); run = sorted(r[1] for r in results)
            print(f"  median: released after {rel[len(rel) // 2]:.1f} s, running elsewhere after {run[len(run) // 2]:.1f} s")
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
