#!/usr/bin/env python3
"""Benchmark `pdm copy` against cp -a, rsync -aHAXS, rclone copy and fpsync; print medians and ratios.

Everything, from the root of a clean clone (as root, the machine otherwise idle; tens of minutes):
  apt-get install -y rsync rclone fpart && dotnet build -c Release Pdm.sln && bench/compare.py --memory

Usage (as root):
  bench/compare.py [--profiles small,mixed,large,wide] [--scale small=1,large=0.5] [--runs 5]
                   [--first-copy-runs large=15]
                   [--noop small,mixed,wide] [--peers cp,rsync,rclone,fpsync] [--pdm PATH]
                   [--pdm-args "--threads 4"] [--baseline PATH] [--workdir /tmp/pdm-bench] [--rm-sources]
                   [--memory [--memory-files 100000,1000000]]
  e.g. a quick subset: bench/compare.py --profiles small --noop small --scale small=0.1 --runs 1

Peers (each skipped with a note if not installed; they preserve what they can):
  cp -a
  rsync -aHAXS SRC/ DST/
  rclone copy SRC DST --transfers 8 --checkers 8 --links --metadata --create-empty-src-dirs
               --local-no-check-updated --config ""
          loses directory mtimes, fifos/devices, setuid/setgid/sticky bits and directory modes,
          symlink owners, sparseness and hardlinks; with --metadata it fails (exit 1) on symlinks
          (it chmods through them), which the timed profiles do not contain.
  fpsync -n 2 -t WORKDIR/.../fpsync-N -o "-lptgoD -HAXS --numeric-ids" SRC/ DST/
          (fpsync forbids -a/-r in -o; -lptgoD is -a without -r, and fpsync adds -d and a
          --files-from list per partition of 2000 files.) Loses hardlinks whose names fall into
          different partitions; its default -v is left out.
  Every peer loses paths longer than 4096 bytes (the `nasty` profile; pdm keeps them).

A baseline (--baseline PATH, another build of pdm, e.g. a worktree of an older commit) runs as one
more tool in the same shuffled rounds, on the same fresh filesystems, checked with treediff.py like
pdm: "no slower than before" is then measured side by side, not across runs minutes apart. It is
not a peer (the best peer is still cp, rsync, rclone or fpsync); the table adds pdm / baseline, and
below it each workload's per-round ratio pdm / baseline (median, 90% bootstrap interval), called
"slower" or "faster" only when the interval leaves out 1: "beyond run-to-run noise", decided by the
rounds themselves rather than by eye from two ranges.

Workloads
  PROFILE first copy      for each of --profiles: every run copies a warmed source into a new
                          directory on a brand-new ext4 (shared/bench/freshfs.sh), so no run
                          pays for the last one's deletion. pdm gets a fresh ledger per run,
                          outside the target; every pdm result is checked with treediff.py.
  PROFILE, nothing changed for each of --noop (default: small, mixed and wide, if profiled): pdm
                          (fresh ledger), rsync, rclone and fpsync over an already complete target
                          made by pdm and checked with treediff.py; metadata of both sides warmed
                          before each run. cp -a has no such mode ("-").
  memory (--memory only)  peak RSS of one `pdm copy` of mktree `small` at 10^5 and at 10^6 files
                          (scale 1 and 10; --memory-files for other sizes) and of one directory
                          holding 10^6 empty files, each into a fresh --memory-fs-size ext4 (40G:
                          enough inodes); prints the figures and the ratio to the 10^5 tree.

Tools alternate run by run, in an order shuffled anew each round (seeded by the round number, so
a rerun uses the same orders): on these machines a run's time depends on what ran just before it
(memory freed a moment ago is still backed by the host; memory freed longer ago must be faulted
in again), so no tool may always follow the same one. One warm-up round is not counted, then
--runs counted rounds (--first-copy-runs sets more for a profile: `large` takes about a second
per run and swings 3-7x from run to run, as the kernel allocates its 1 GiB of target page cache,
so it gets 15 rounds by default, for a median that means something).
Times are wall-clock (time.monotonic around the process);
peak RSS is `/usr/bin/time -f %M` (KB, printed as MiB). The table gives per workload the median
of each tool, the best peer, pdm/best-peer and issue 4's target (pdm/best-peer <= 0.8).

Source trees come from shared/bench/mktree.py (seed 1) and are built once under WORKDIR as
src-PROFILE-SCALE; they are kept for reuse unless --rm-sources. Mounts, targets, ledgers and
logs of a run are removed on exit, also on error or signal. Exits non-zero, loudly, if pdm
fails or its copy differs from the source, or if a peer fails.
"""
import argparse
import atexit
import os
import random
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
NOOP_PROFILES = ("small", "mixed", "wide")   # issue 4's "nothing changed" rows

PEERS = ["cp", "rsync", "rclone", "fpsync"]
PEER_NAMES = {"pdm": "pdm", "base": "pdm baseline", "cp": "cp -a", "rsync": "rsync -aHAXS",
              "rclone": "rclone copy", "fpsync": "fpsync -n2"}
NOOP_TOOLS = ("pdm", "base", "rsync", "rclone", "fpsync")  # cp -a has no "nothing changed" mode
# rclone, local to local, keeping what it can: --links stores symlinks as symlinks, --metadata
# keeps mode, owner, atime/mtime and xattrs of files, --create-empty-src-dirs keeps empty dirs;
# --local-no-check-updated skips re-checking the source after each file; --config "" silences
# the "config file not found" notice.
RCLONE_ARGS = ["--transfers", "8", "--checkers", "8", "--links", "--metadata",
               "--create-empty-src-dirs", "--local-no-check-updated", "--config", ""]
# fpsync refuses -a and -r in -o (it adds -d and a --files-from per partition itself):
# -lptgoD is -a without -r; -HAXS as for rsync. Its default -v is left out.
FPSYNC_RSYNC_OPTS = "-lptgoD -HAXS --numeric-ids"
# What a peer cannot keep on the timed profiles, skipped when --verify-all checks it.
KNOWN_LOSSES = {"rclone": ["dirmtime"]}
TARGET_RATIO = 0.8    # issue 4: pdm/best-peer <= 0.8 on every row
TARGET_MEMORY = 1.5   # issue 4: peak RSS at 10^6 files within 1.5x of 10^5


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


CHILD = []  # the timed process now running (leader of its own process group), killed on exit


def timed(cmd, out_path):
    """Run cmd with stdout+stderr to out_path; return (seconds, peak RSS KB, exit status).

    Peak RSS comes from /usr/bin/time -f %M: a child forked straight from python would
    inherit python's RSS as the floor of its ru_maxrss. (For fpsync it is the largest single
    process of the tree, not their sum.) The process gets its own group so that fpsync's
    workers can be killed with it."""
    rss_path = out_path + ".rss"
    with open(out_path, "wb") as out:
        t0 = time.monotonic()
        p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss_path] + cmd,
                             stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        CHILD.append(p)
        rc = p.wait()
        secs = time.monotonic() - t0
        CHILD.remove(p)
    with open(rss_path) as f:
        lines = f.read().split()
    os.remove(rss_path)
    rss = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    return secs, rss, rc


def shuffled(tools, rnd):
    """The tools in round rnd's order: shuffled, seeded by the round, so that no tool always follows
    the same one (turning the list would keep every tool's neighbours) and a rerun uses the same orders."""
    order = list(tools)
    random.Random(rnd).shuffle(order)
    return order


def median(v):
    return statistics.median(v) if v else None


def fmt(x, nd=2):
    return f"{x:.{nd}f}" if x is not None else "-"


def paired_ratio(pdm, base, resamples=4000, level=0.90):
    """pdm against the baseline, round by round (both ran in the same round, on the same kind of
    fresh filesystem, so the machine's drift, which is slow, cancels): the median of the per-round
    ratios pdm/baseline and a bootstrap interval of that median (seeded: a rerun prints the same).
    Returns (median, low, high), or None with fewer than 3 pairs."""
    ratios = [p / b for p, b in zip(pdm, base) if b > 0]
    if len(ratios) < 3:
        return None
    rnd = random.Random(0)
    meds = sorted(statistics.median(rnd.choices(ratios, k=len(ratios))) for _ in range(resamples))
    cut = int(resamples * (1 - level) / 2)
    return statistics.median(ratios), meds[cut], meds[resamples - 1 - cut]


def verdict(interval):
    """Whether pdm is slower or faster than the baseline beyond the rounds' spread (the interval excludes 1)."""
    _, low, high = interval
    return "slower" if low > 1 else "faster" if high < 1 else "within noise"


class Bench:
    def __init__(self, a):
        self.a = a
        self.work = a.workdir
        self.mounts = set()
        self.scratch = os.path.join(self.work, f"run-{os.getpid()}")
        os.makedirs(self.scratch, exist_ok=True)
        self.tools = ["pdm"] + (["base"] if a.baseline else []) + a.peers
        self.missing = {}
        if not (os.path.isfile(a.pdm) and os.access(a.pdm, os.X_OK)):
            raise BenchError(f"pdm binary not found at {a.pdm} (build: dotnet build -c Release Pdm.sln)")
        if a.baseline and not (os.path.isfile(a.baseline) and os.access(a.baseline, os.X_OK)):
            raise BenchError(f"--baseline: no pdm binary at {a.baseline}")
        for t in a.peers:
            if shutil.which(t) is None:
                pkg = {"fpsync": "fpart"}.get(t, t)
                self.missing[t] = f"not installed; apt-get install -y {pkg}"
                log(f"note: {t} not installed; skipping it (apt-get install -y {pkg})")
        self.times = {}   # (workload, tool) -> [seconds]
        self.rss = {}     # (workload, tool) -> [KB]
        self.seq = 0

    # ---- housekeeping -------------------------------------------------------------------
    def cleanup(self):
        for p in CHILD:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
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

    def mount(self, name, size=None):
        m = os.path.join(self.scratch, name)
        self.mounts.add(m)
        run_quiet([FRESHFS, m, size or self.a.fs_size])
        return m

    def unmount(self, m):
        run_quiet([FRESHFS, "-u", m])
        self.mounts.discard(m)
        os.rmdir(m)

    def cached_source(self, name, build):
        """Reuse WORKDIR/NAME if an earlier run finished building it, else build(root) -> summary line."""
        root = os.path.join(self.work, name)
        done = root + ".ok"  # written only after the build finished
        self.sources[root] = root
        if os.path.exists(done) and os.path.isdir(root):
            log(f"reusing {root}: {open(done).read().strip()}")
            return root
        shutil.rmtree(root, ignore_errors=True)
        log(f"building {root} ...")
        summary = build(root).strip()
        with open(done, "w") as f:
            f.write(summary + "\n")
        log(summary)
        return root

    def source(self, profile, scale):
        """Build (once) or reuse the deterministic source tree for profile at scale."""
        return self.cached_source(f"src-{profile}-{scale:g}", lambda root: run_quiet(
            [sys.executable, MKTREE, profile, root, "--seed", "1", "--scale", f"{scale:g}"]))

    def flat_source(self, n):
        """Build (once) one directory holding n empty files (fixed mtimes), for --memory."""
        return self.cached_source(f"src-flat-{n}", lambda root: self.build_flat(root, n))

    @staticmethod
    def build_flat(root, n):
        """One directory of n empty files with distinct fixed mtimes; returns the summary line."""
        d = os.path.join(root, "flat")
        os.makedirs(d)
        fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
        try:
            base = 1_600_000_000 * 10**9
            for i in range(n):
                name = "e%07d" % i
                os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=fd))
                t = base + i * 1_000_003
                os.utime(name, ns=(t, t), dir_fd=fd)
        finally:
            os.close(fd)
        for p in (d, root):
            os.utime(p, ns=(base, base))
        return f"flat: {n} files, 2 dirs, 0 bytes"

    def treediff(self, src, dst, what, skip=()):
        cmd = [sys.executable, TREEDIFF, src, dst] + (["--skip"] + list(skip) if skip else [])
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            print(p.stdout.decode(errors="replace"), file=sys.stderr)
            raise BenchError(f"TREEDIFF FAILED: {what}: {dst} differs from {src}")

    def command(self, tool, src, dst, ledger, tmp):
        if tool in ("pdm", "base"):
            binary = self.a.pdm if tool == "pdm" else self.a.baseline
            return [binary, "copy", src, dst, "--ledger", ledger] + self.a.pdm_args.split()
        if tool == "cp":
            return ["cp", "-a", src, dst]  # dst does not exist: cp creates it as a copy of src
        if tool == "rsync":
            return ["rsync", "-aHAXS", src + "/", dst + "/"]
        if tool == "rclone":
            return ["rclone", "copy", src, dst] + RCLONE_ARGS
        if tool == "fpsync":  # needs absolute paths, also for its work/tmp dir
            return ["fpsync", "-n", "2", "-t", tmp, "-o", FPSYNC_RSYNC_OPTS,
                    os.path.abspath(src) + "/", os.path.abspath(dst) + "/"]
        raise BenchError(f"unknown tool {tool}")

    def run_tool(self, workload, tool, src, dst, counted):
        """Run one tool once (dst set up by caller); record figures if counted."""
        self.seq += 1
        ledger = os.path.join(self.scratch, f"ledger-{self.seq}.db")
        tmp = os.path.join(self.scratch, f"fpsync-{self.seq}")
        out = os.path.join(self.scratch, f"out-{self.seq}-{tool}.log")
        secs, rss, rc = timed(self.command(tool, src, dst, ledger, tmp), out)
        text = open(out, "rb").read().decode(errors="replace")
        os.remove(out)
        for f in (ledger, ledger + "-wal", ledger + "-shm", ledger + "-journal"):
            if os.path.exists(f):
                os.remove(f)
        if rc != 0 and tool == "fpsync" and os.path.isdir(os.path.join(tmp, "log")):
            for dp, _, fs in os.walk(os.path.join(tmp, "log")):  # its jobs' errors are here
                for f in sorted(fs):
                    if f.endswith(".stderr"):
                        text += open(os.path.join(dp, f), errors="replace").read()
        shutil.rmtree(tmp, ignore_errors=True)
        tag = "" if counted else " (warm-up)"
        log(f"  {workload:<24} {tool:<6} {secs:8.2f} s  {rss / 1024:7.1f} MiB  exit {rc}{tag}")
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
    def runs_of(self, workload):
        profile = workload.split()[0].rstrip(",")
        return self.a.first_copy_runs.get(profile, self.a.runs) if "first copy" in workload else self.a.runs

    def first_copy(self, profile, src):
        workload = f"{profile} first copy"
        tools = [t for t in self.tools if t not in self.missing]
        for rnd in range(self.runs_of(workload) + 1):
            counted = rnd > 0
            for tool in shuffled(tools, rnd):
                m = self.mount("mnt")
                dst = os.path.join(m, "dst")
                subprocess.run(["sync"])
                run_quiet([WARM, src])
                self.run_tool(workload, tool, src, dst, counted)
                if tool in ("pdm", "base"):
                    self.treediff(src, dst, f"{PEER_NAMES[tool]}, {workload}, round {rnd}")
                elif self.a.verify_all:
                    self.treediff(src, dst, f"{tool}, {workload}, round {rnd}", KNOWN_LOSSES.get(tool, ()))
                self.unmount(m)

    def nothing_changed(self, profile, src):
        workload = f"{profile}, nothing changed"
        tools = [t for t in self.tools if t in NOOP_TOOLS and t not in self.missing]
        m = self.mount("noop")
        dst = os.path.join(m, "dst")
        run_quiet([WARM, src])
        log(f"  making the complete target for '{workload}' with pdm")
        self.run_tool(workload + " (setup)", "pdm", src, dst, False)
        self.treediff(src, dst, f"pdm, setup of {workload}")
        for rnd in range(self.a.runs + 1):
            for tool in shuffled(tools, rnd):
                run_quiet([WARM, "-m", src, dst])
                self.run_tool(workload, tool, src, dst, rnd > 0)
        self.treediff(src, dst, f"target after the no-change runs of {workload}")
        self.unmount(m)

    def memory(self):
        """Peak RSS of one pdm copy per tree size; returns [(label, files, workload)]."""
        rows = []
        sizes = self.a.memory_files
        trees = [(f"small, {n:,} files", n, lambda n=n: self.source("small", n / 100_000)) for n in sizes]
        trees.append((f"1 dir of {max(sizes):,} entries", max(sizes), lambda: self.flat_source(max(sizes))))
        for label, n, build in trees:
            src = build()
            workload = f"memory: {label}"
            m = self.mount("mem", self.a.memory_fs_size)
            dst = os.path.join(m, "dst")
            run_quiet([WARM, "-m", src])
            self.run_tool(workload, "pdm", src, dst, True)
            self.treediff(src, dst, f"pdm, {workload}")
            self.unmount(m)
            rows.append((label, n, workload))
        return rows

    # ---- report -------------------------------------------------------------------------
    def cell(self, workload, tool):
        return median(self.times.get((workload, tool)))

    def report(self, workloads, memory_rows=()):
        cols = ["pdm"] + [t for t in self.tools if t != "pdm"]
        baseline = "base" in cols
        hdr = (["workload"] + [PEER_NAMES[t] for t in cols]
               + ["best peer", "pdm/best-peer"] + (["baseline/best-peer", "pdm/baseline"] if baseline else [])
               + [f"target <= {TARGET_RATIO}", "pdm peak RSS MiB (median/max)"])
        rows = []
        for w in workloads:
            med = {t: self.cell(w, t) for t in cols}
            peers = {t: v for t, v in med.items() if t not in ("pdm", "base") and v is not None}
            best = min(peers, key=peers.get) if peers else None

            def over(x, y):
                return x / y if x is not None and y else None
            ratio = over(med["pdm"], peers[best] if best else None)
            mark = "-" if ratio is None else ("pass" if ratio <= TARGET_RATIO else "FAIL")
            r = self.rss.get((w, "pdm"), [])
            rss = f"{statistics.median(r) / 1024:.0f} / {max(r) / 1024:.0f}" if r else "-"
            rows.append([w] + [fmt(med[t]) for t in cols]
                        + [PEER_NAMES[best] if best else "-", fmt(ratio)]
                        + ([fmt(over(med["base"], peers[best] if best else None)), fmt(over(med["pdm"], med["base"]))] if baseline else [])
                        + [mark, rss])
        print()
        if rows:
            more = ", ".join(f"{p} first copy: {n}" for p, n in self.a.first_copy_runs.items()
                             if f"{p} first copy" in workloads)
            print(f"pdm vs peers: median seconds of {self.a.runs} interleaved runs{f' ({more})' if more else ''} after 1 warm-up, "
                  f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} cores, pdm args: '{self.a.pdm_args}'")
            for t, why in self.missing.items():
                print(f"note: {t} skipped ({why})")
            print("| " + " | ".join(hdr) + " |")
            print("|" + "|".join(" --- " for _ in hdr) + "|")
            for r in rows:
                print("| " + " | ".join(r) + " |")
            fails = sum(r[-2] == "FAIL" for r in rows)
            print(f"target pdm/best-peer <= {TARGET_RATIO}: {len(rows) - fails} of {len(rows)} rows pass")
            print()
            if baseline:
                print("pdm / baseline, paired by round: median of the per-round ratios [90% bootstrap interval]:")
                for w in workloads:
                    pr = paired_ratio(self.times.get((w, "pdm"), []), self.times.get((w, "base"), []))
                    if pr:
                        print(f"  {w}: {pr[0]:.2f} [{pr[1]:.2f}, {pr[2]:.2f}] {verdict(pr)}")
                print()
            print("spread (min-max seconds per tool):")
            for w in workloads:
                parts = []
                for t in cols:
                    v = self.times.get((w, t))
                    if v:
                        parts.append(f"{PEER_NAMES[t]} {min(v):.2f}-{max(v):.2f}")
                print(f"  {w}: " + ", ".join(parts))
        if memory_rows:
            print()
            print(f"memory: peak RSS of one pdm copy, {time.strftime('%Y-%m-%d %H:%M %Z')}, pdm args: "
                  f"'{self.a.pdm_args}' (target: within {TARGET_MEMORY}x of the {memory_rows[0][1]:,}-file tree)")
            print("| tree | pdm seconds | pdm peak RSS MiB | ratio to first row | target |")
            print("| --- | --- | --- | --- | --- |")
            base = None
            for label, n, w in memory_rows:
                secs, rss = self.cell(w, "pdm"), median(self.rss.get((w, "pdm")))
                if rss is None:
                    continue
                base = base or rss
                ratio = rss / base if base else None
                first = (label, n, w) == memory_rows[0]
                mark = "-" if first or ratio is None else ("pass" if ratio <= TARGET_MEMORY else "FAIL")
                print(f"| {label} | {fmt(secs)} | {rss / 1024:.1f} | {fmt(ratio)} | {mark} |")


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
    ap.add_argument("--profiles", default="small,mixed,large,wide", help="first-copy profiles, comma-separated")
    ap.add_argument("--scale", default="", help="per-profile scale, e.g. small=1,large=0.5")
    ap.add_argument("--noop", default=None,
                    help="profiles for the 'nothing changed' workload "
                         "(default: those of small,mixed,wide profiled; '' for none)")
    ap.add_argument("--peers", default=",".join(PEERS), help="peers to run, comma-separated, of " + ",".join(PEERS))
    ap.add_argument("--runs", type=int, default=5, help="counted rounds after one warm-up round")
    ap.add_argument("--first-copy-runs", default="large=15",
                    help="counted rounds of a profile's first copy instead of --runs, e.g. large=15 ('' for none)")
    ap.add_argument("--pdm", default=os.path.normpath(DEFAULT_PDM))
    ap.add_argument("--pdm-args", default="", help="extra arguments for pdm copy, e.g. '--threads 8'")
    ap.add_argument("--baseline", default=None,
                    help="another pdm build (e.g. of an older commit) run in the same rounds, for pdm / baseline")
    ap.add_argument("--workdir", default="/tmp/pdm-bench")
    ap.add_argument("--fs-size", default="40G", help="size of each fresh ext4 (sparse)")
    ap.add_argument("--memory", action="store_true",
                    help="also measure pdm's peak RSS against the number of files (not run by default)")
    ap.add_argument("--memory-files", default="100000,1000000",
                    help="file counts of the --memory trees (mktree small at scale N/100000)")
    ap.add_argument("--memory-fs-size", default="40G", help="size of the --memory ext4 (inodes: 8G holds ~524k)")
    ap.add_argument("--verify-all", action="store_true",
                    help="treediff the peers' results too (rclone: directory mtimes skipped)")
    ap.add_argument("--rm-sources", action="store_true", help="delete the source trees on exit")
    ap.add_argument("-v", "--verbose", action="store_true", help="show pdm's output")
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("compare.py: run as root (it mounts loop filesystems)")
    a.workdir = os.path.abspath(a.workdir)  # fpsync wants absolute paths
    profiles = [p for p in a.profiles.split(",") if p]
    scale = dict(DEFAULT_SCALE, **parse_scale(a.scale))
    a.first_copy_runs = {p: int(n) for p, n in parse_scale(a.first_copy_runs).items()}
    noop = ([p for p in a.noop.split(",") if p] if a.noop is not None
            else [p for p in profiles if p in NOOP_PROFILES])
    for p in profiles + noop:
        if p not in DEFAULT_SCALE:
            raise SystemExit(f"unknown profile {p!r}; known: {', '.join(DEFAULT_SCALE)}")
    a.peers = [t for t in a.peers.split(",") if t]
    for t in a.peers:
        if t not in PEERS:
            raise SystemExit(f"unknown peer {t!r}; known: {', '.join(PEERS)}")
    try:
        a.memory_files = [int(float(n)) for n in a.memory_files.split(",") if n]
    except ValueError:
        raise SystemExit(f"--memory-files: expected counts like 100000,1000000, got {a.memory_files!r}")
    if a.memory and len(a.memory_files) < 2:
        raise SystemExit("--memory-files: give at least two counts")
    os.makedirs(a.workdir, exist_ok=True)

    bench = Bench(a)
    bench.sources = {}
    atexit.register(bench.cleanup)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, f: sys.exit(128 + s))  # unwinds through atexit

    log(f"pdm {a.pdm}; peers {a.peers}; profiles {profiles} scales {[scale[p] for p in profiles]}; "
        f"noop {noop}; runs {a.runs} {a.first_copy_runs}; memory {a.memory_files if a.memory else 'no'}")
    srcs = {p: bench.source(p, scale[p]) for p in dict.fromkeys(profiles + noop)}
    workloads, memory_rows = [], []
    try:
        for p in profiles:
            log(f"== {p} first copy (scale {scale[p]:g})")
            bench.first_copy(p, srcs[p])
            workloads.append(f"{p} first copy")
        for p in noop:
            log(f"== {p}, nothing changed (scale {scale[p]:g})")
            bench.nothing_changed(p, srcs[p])
            workloads.append(f"{p}, nothing changed")
        if a.memory:
            log(f"== memory (file counts {a.memory_files})")
            memory_rows = bench.memory()
    except BenchError as e:
        print(f"\n*** BENCHMARK FAILED: {e}", file=sys.stderr, flush=True)
        bench.report(workloads, memory_rows)
        sys.exit(1)
    bench.report(workloads, memory_rows)


if __name__ == "__main__":
    main()
