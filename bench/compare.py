#!/usr/bin/env python3
"""Benchmark `pdm copy` against `cp -a` and `rsync -aHAXS`; print medians and ratios.

Usage (as root):
  bench/compare.py [--profiles small,large] [--scale small=1,large=0.5] [--runs 5]
                   [--noop small] [--pdm PATH] [--pdm-args "--threads 4"]
                   [--workdir /tmp/pdm-bench] [--rm-sources]

Workloads
  PROFILE first copy      for each of --profiles: every run copies a warmed source into a new
                          directory on a brand-new ext4 (shared/bench/freshfs.sh), so no run
                          pays for the last one's deletion. pdm gets a fresh ledger per run,
                          outside the target; every pdm result is checked with treediff.py.
  PROFILE, nothing changed for each of --noop (default: small, if profiled): pdm (fresh ledger)
                          and rsync over an already complete target made by pdm and checked
                          with treediff.py; metadata of both sides warmed before each run.
                          cp -a has no such mode ("-").

Tools alternate run by run (pdm, cp, rsync, pdm, ...): one warm-up round not counted, then
--runs counted rounds. Times are wall-clock (time.monotonic around the process); peak RSS is
`/usr/bin/time -f %M` (KB, printed as MiB).

Source trees come from shared/bench/mktree.py (seed 1) and are built once under WORKDIR as
src-PROFILE-SCALE; they are kept for reuse unless --rm-sources. Mounts, targets, ledgers and
logs of a run are removed on exit, also on error or signal. Exits non-zero, loudly, if pdm
fails or its copy differs from the source.
"""
import argparse
import atexit
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

# shared/ stands beside the repository (as on CI); PDM_SHARED_BENCH overrides it.
SHARED = os.environ.get("PDM_SHARED_BENCH") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench"))
MKTREE = f"{SHARED}/mktree.py"
FRESHFS = f"{SHARED}/freshfs.sh"
WARM = f"{SHARED}/warm.sh"
TREEDIFF = f"{SHARED}/treediff.py"
DEFAULT_PDM = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "..", "src", "Pdm.Shell", "bin", "Release", "net10.0", "pdm")
DEFAULT_SCALE = {"small": 1.0, "mixed": 1.0, "large": 0.5, "wide": 1.0, "nasty": 1.0}


class BenchError(Exception):
    pass


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run_quiet(cmd, **kw):
    """Run a helper command; raise with its output if it fails."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)
    if p.returncode != 0:
        raise BenchError(f"{' '.join(map(str, cmd))} exited {p.returncode}:\n{p.stdout.decode(errors='replace')}")
    return p.stdout.decode(errors="replace")


CHILD = []  # the timed process now running, killed on exit


def timed(cmd, out_path):
    """Run cmd with stdout+stderr to out_path; return (seconds, peak RSS KB, exit status).

    Peak RSS comes from /usr/bin/time -f %M: a child forked straight from python would
    inherit python's RSS as the floor of its ru_maxrss."""
    rss_path = out_path + ".rss"
    with open(out_path, "wb") as out:
        t0 = time.monotonic()
        p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss_path] + cmd,
                             stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        CHILD.append(p)
        rc = p.wait()
        secs = time.monotonic() - t0
        CHILD.remove(p)
    with open(rss_path) as f:
        lines = f.read().split()
    os.remove(rss_path)
    rss = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    return secs, rss, rc


class Bench:
    def __init__(self, a):
        self.a = a
        self.work = a.workdir
        self.mounts = set()
        self.scratch = os.path.join(self.work, f"run-{os.getpid()}")
        os.makedirs(self.scratch, exist_ok=True)
        self.tools = ["pdm", "cp", "rsync"]
        self.missing = {}
        if not (os.path.isfile(a.pdm) and os.access(a.pdm, os.X_OK)):
            raise BenchError(f"pdm binary not found at {a.pdm} (build: dotnet build -c Release Pdm.sln)")
        for t in ("cp", "rsync"):
            if shutil.which(t) is None:
                self.missing[t] = "not installed"
                log(f"note: {t} not installed; skipping it")
        self.times = {}   # (workload, tool) -> [seconds]
        self.rss = {}     # (workload, tool) -> [KB]
        self.seq = 0

    # ---- housekeeping -------------------------------------------------------------------
    def cleanup(self):
        for p in CHILD:
            p.kill()
            p.wait()
        for m in sorted(self.mounts):
            subprocess.run([FRESHFS, "-u", m], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                os.rmdir(m)
            except OSError:
                pass
        self.mounts.clear()
        shutil.rmtree(self.scratch, ignore_errors=True)
        if self.a.rm_sources:
            for p in getattr(self, "sources", {}).values():
                shutil.rmtree(p, ignore_errors=True)
                try:
                    os.remove(p + ".ok")
                except OSError:
                    pass

    def mount(self, name):
        m = os.path.join(self.scratch, name)
        self.mounts.add(m)
        run_quiet([FRESHFS, m, self.a.fs_size])
        return m

    def unmount(self, m):
        run_quiet([FRESHFS, "-u", m])
        self.mounts.discard(m)
        os.rmdir(m)

    def source(self, profile, scale):
        """Build (once) or reuse the deterministic source tree for profile at scale."""
        root = os.path.join(self.work, f"src-{profile}-{scale:g}")
        done = root + ".ok"  # written only after mktree finished
        if os.path.exists(done) and os.path.isdir(root):
            log(f"reusing {root}: {open(done).read().strip()}")
            return root
        shutil.rmtree(root, ignore_errors=True)
        log(f"building {root} ...")
        out = run_quiet([sys.executable, MKTREE, profile, root, "--seed", "1", "--scale", f"{scale:g}"])
        with open(done, "w") as f:
            f.write(out)
        log(out.strip())
        return root

    def treediff(self, src, dst, what):
        p = subprocess.run([sys.executable, TREEDIFF, src, dst], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            print(p.stdout.decode(errors="replace"), file=sys.stderr)
            raise BenchError(f"TREEDIFF FAILED: {what}: {dst} differs from {src}")

    def command(self, tool, src, dst, ledger):
        if tool == "pdm":
            return [self.a.pdm, "copy", src, dst, "--ledger", ledger] + self.a.pdm_args.split()
        if tool == "cp":
            return ["cp", "-a", src, dst]  # dst does not exist: cp creates it as a copy of src
        return ["rsync", "-aHAXS", src + "/", dst + "/"]

    def run_tool(self, workload, tool, src, dst, counted):
        """Run one tool once (dst set up by caller); record figures if counted."""
        self.seq += 1
        ledger = os.path.join(self.scratch, f"ledger-{self.seq}.db")
        out = os.path.join(self.scratch, f"out-{self.seq}-{tool}.log")
        secs, rss, rc = timed(self.command(tool, src, dst, ledger), out)
        text = open(out, "rb").read().decode(errors="replace")
        for f in (ledger, ledger + "-wal", ledger + "-shm", ledger + "-journal"):
            if os.path.exists(f):
                os.remove(f)
        tag = "" if counted else " (warm-up)"
        log(f"  {workload:<24} {tool:<5} {secs:8.2f} s  {rss / 1024:7.1f} MiB  exit {rc}{tag}")
        if rc != 0:
            sys.stderr.write(text[-4000:])
            raise BenchError(f"{tool} exited {rc} on {workload}")
        if tool == "pdm" and text.strip() and self.a.verbose:
            sys.stdout.write(text[-2000:])
        if counted:
            self.times.setdefault((workload, tool), []).append(secs)
            self.rss.setdefault((workload, tool), []).append(rss)
        return secs

    # ---- workloads ----------------------------------------------------------------------
    def first_copy(self, profile, src):
        workload = f"{profile} first copy"
        tools = [t for t in self.tools if t not in self.missing]
        for rnd in range(self.a.runs + 1):
            counted = rnd > 0
            for tool in tools:
                m = self.mount("mnt")
                dst = os.path.join(m, "dst")
                subprocess.run(["sync"])
                run_quiet([WARM, src])
                self.run_tool(workload, tool, src, dst, counted)
                if tool == "pdm":
                    self.treediff(src, dst, f"pdm, {workload}, round {rnd}")
                elif self.a.verify_all:
                    self.treediff(src, dst, f"{tool}, {workload}, round {rnd}")
                self.unmount(m)

    def nothing_changed(self, profile, src):
        workload = f"{profile}, nothing changed"
        tools = [t for t in ("pdm", "rsync") if t not in self.missing]
        m = self.mount("noop")
        dst = os.path.join(m, "dst")
        run_quiet([WARM, src])
        log(f"  making the complete target for '{workload}' with pdm")
        self.run_tool(workload + " (setup)", "pdm", src, dst, False)
        self.treediff(src, dst, f"pdm, setup of {workload}")
        for rnd in range(self.a.runs + 1):
            for tool in tools:
                run_quiet([WARM, "-m", src, dst])
                self.run_tool(workload, tool, src, dst, rnd > 0)
        self.treediff(src, dst, f"target after the no-change runs of {workload}")
        self.unmount(m)

    # ---- report -------------------------------------------------------------------------
    def cell(self, workload, tool):
        v = self.times.get((workload, tool))
        return statistics.median(v) if v else None

    def report(self, workloads):
        cols = [("pdm", "pdm"), ("cp", "cp -a"), ("rsync", "rsync -aHAXS")]
        hdr = ["workload", "pdm", "cp -a", "rsync -aHAXS", "pdm/best-peer", "pdm peak RSS (MiB, median/max)"]
        rows = []
        for w in workloads:
            med = {t: self.cell(w, t) for t, _ in cols}
            peers = [v for t, v in med.items() if t != "pdm" and v is not None]
            best = min(peers) if peers else None
            ratio = f"{med['pdm'] / best:.2f}" if med["pdm"] is not None and best else "-"
            if best:
                who = [n for t, n in cols if t != "pdm" and med[t] == best][0]
                ratio += f" (vs {who})"
            r = self.rss.get((w, "pdm"), [])
            rss = f"{statistics.median(r) / 1024:.0f} / {max(r) / 1024:.0f}" if r else "-"
            rows.append([w] + [f"{med[t]:.2f}" if med[t] is not None else "-" for t, _ in cols] + [ratio, rss])
        print()
        print(f"pdm vs peers: median seconds of {self.a.runs} interleaved runs after 1 warm-up, "
              f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} cores, pdm args: '{self.a.pdm_args}'")
        for t, why in self.missing.items():
            print(f"note: {t} skipped ({why})")
        print("| " + " | ".join(hdr) + " |")
        print("|" + "|".join(" --- " for _ in hdr) + "|")
        for r in rows:
            print("| " + " | ".join(r) + " |")
        print()
        print("spread (min-max seconds per tool):")
        for w in workloads:
            parts = []
            for t, n in cols:
                v = self.times.get((w, t))
                if v:
                    parts.append(f"{n} {min(v):.2f}-{max(v):.2f}")
            print(f"  {w}: " + ", ".join(parts))


def parse_scale(text):
    out = {}
    for part in filter(None, text.split(",")):
        k, _, v = part.partition("=")
        if not v:
            raise SystemExit(f"--scale: expected PROFILE=X, got {part!r}")
        out[k.strip()] = float(v)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profiles", default="small,large", help="first-copy profiles, comma-separated")
    ap.add_argument("--scale", default="", help="per-profile scale, e.g. small=1,large=0.5")
    ap.add_argument("--noop", default=None,
                    help="profiles for the 'nothing changed' workload (default: small if profiled; '' for none)")
    ap.add_argument("--runs", type=int, default=5, help="counted rounds after one warm-up round")
    ap.add_argument("--pdm", default=os.path.normpath(DEFAULT_PDM))
    ap.add_argument("--pdm-args", default="", help="extra arguments for pdm copy, e.g. '--threads 8'")
    ap.add_argument("--workdir", default="/tmp/pdm-bench")
    ap.add_argument("--fs-size", default="40G", help="size of each fresh ext4 (sparse)")
    ap.add_argument("--verify-all", action="store_true", help="treediff cp and rsync results too")
    ap.add_argument("--rm-sources", action="store_true", help="delete the source trees on exit")
    ap.add_argument("-v", "--verbose", action="store_true", help="show pdm's output")
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("compare.py: run as root (it mounts loop filesystems)")
    profiles = [p for p in a.profiles.split(",") if p]
    scale = dict(DEFAULT_SCALE, **parse_scale(a.scale))
    noop = ([p for p in a.noop.split(",") if p] if a.noop is not None
            else [p for p in profiles if p == "small"])
    os.makedirs(a.workdir, exist_ok=True)

    bench = Bench(a)
    atexit.register(bench.cleanup)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, f: sys.exit(128 + s))  # unwinds through atexit

    log(f"pdm {a.pdm}; profiles {profiles} scales {[scale[p] for p in profiles]}; noop {noop}; runs {a.runs}")
    bench.sources = {p: bench.source(p, scale[p]) for p in dict.fromkeys(profiles + noop)}
    workloads = []
    try:
        for p in profiles:
            log(f"== {p} first copy (scale {scale[p]:g})")
            bench.first_copy(p, bench.sources[p])
            workloads.append(f"{p} first copy")
        for p in noop:
            log(f"== {p}, nothing changed (scale {scale[p]:g})")
            bench.nothing_changed(p, bench.sources[p])
            workloads.append(f"{p}, nothing changed")
    except BenchError as e:
        print(f"\n*** BENCHMARK FAILED: {e}", file=sys.stderr, flush=True)
        if workloads:
            bench.report(workloads)
        sys.exit(1)
    bench.report(workloads)


if __name__ == "__main__":
    main()
