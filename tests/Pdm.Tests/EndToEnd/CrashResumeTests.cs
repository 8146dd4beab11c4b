using System.Diagnostics;
using Pdm.Ledger;
using Pdm.Tests.Support;
using Xunit.Abstractions;

namespace Pdm.Tests.EndToEnd;

/// <summary>A copy killed at any moment and run again ends exactly as an uninterrupted one.</summary>
[Collection(TimingCollection.Name)]
public sealed class CrashResumeTests(ITestOutputHelper log) : IDisposable
{
    private readonly TempTree _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string BuildSource()
    {
        string src = _tmp["src"];
        Directory.CreateDirectory(src);
        Tools.MakeTree("small", Path.Combine(src, "small"), 0.12);
        Tools.MakeTree("mixed", Path.Combine(src, "mixed"), 0.05);
        Tools.MakeTree("nasty", Path.Combine(src, "nasty"), 1.0);
        return src;
    }

    /// <summary>Runs `pdm` to the end, as the uninterrupted baseline; returns how long it took.</summary>
    private static TimeSpan RunUninterrupted(params string[] args)
    {
        var clock = Stopwatch.StartNew();
        var r = Tools.Pdm_(args);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return clock.Elapsed;
    }

    /// <summary>
    /// Starts `pdm` with <paramref name="args"/> up to four times and SIGKILLs each run at a random moment,
    /// a share of how long the uninterrupted run took (however fast this machine is): the first kill lands
    /// early enough to interrupt the run, later ones anywhere in it. Early means a tenth: the same run
    /// on these machines can take three times as long as the one before it (a first kill at 0.3 was
    /// once too late). Returns how many runs were killed.
    /// </summary>
    private int KillAtRandomMoments(string[] args, TimeSpan uninterrupted)
    {
        int seed = Environment.TickCount;
        var random = new Random(seed);
        log.WriteLine($"seed {seed}");
        int killed = 0;
        for (int round = 0; round < 4; round++)
        {
            using var p = Tools.Start(args);
            double share = round == 0 ? 0.1 : 0.1 + 0.7 * random.NextDouble();
            int delay = Math.Max(20, (int)(uninterrupted.TotalMilliseconds * share));
            if (p.WaitForExit(delay)) break; // finished before we got to it
            p.Kill(); // SIGKILL
            p.WaitForExit();
            killed++;
            log.WriteLine($"killed after {delay} ms");
        }
        return killed;
    }

    [Fact]
    public void SigkillAtRandomMomentsThenRerunningGivesTheSameTreeAndTheSameCounts()
    {
        string src = BuildSource();
        var uninterrupted = RunUninterrupted("copy", src, _tmp["base"], "--ledger", _tmp["base.db"], "--threads", "2");
        var expected = LedgerReader.State(_tmp["base.db"], 1).Counters;

        string[] args = ["copy", src, _tmp["dst"], "--ledger", _tmp["crash.db"], "--threads", "2"];
        int killed = KillAtRandomMoments(args, uninterrupted);
        Assert.True(killed >= 1, "no run was interrupted: the tree is too small for this machine");

        var final = Tools.Pdm_(args);
        Assert.True(final.ExitCode == 0, $"{final.Stdout}\n{final.Stderr}");
        Tools.AssertTreesEqual(src, _tmp["dst"]);
        Assert.Empty(Tools.Temporaries(_tmp["dst"]));

        // Every re-run resumes the same pass. Only a kill that lands after the pass completed, while
        // the process was still exiting, makes the next run a new pass, which must find nothing to copy.
        using var ledger = SqliteLedger.Open(_tmp["crash.db"]);
        var passes = ledger.ListPasses().OrderBy(p => p.Id).ToList();
        Assert.InRange(passes.Count, 1, killed + 1); // a "kill" of a process that had just exited does nothing
        Assert.All(passes, p => Assert.Equal(PassStatus.Completed, p.Status));
        Assert.Equal(expected, LedgerReader.State(_tmp["crash.db"], passes[0].Id).Counters);
        foreach (var later in passes.Skip(1))
        {
            var counters = LedgerReader.State(_tmp["crash.db"], later.Id).Counters;
            Assert.Equal(0, counters.FilesCopied + counters.MetadataFixed + counters.HardLinks + counters.Failed);
        }
    }

    [Fact]
    public void ADeletePassKilledAtRandomMomentsRemovesAndCountsExactlyAsAnUninterruptedOne()
    {
        // Two identical targets, each holding a tree the source no longer has (orphan directories,
        // thousands of entries): one is cleaned without interruption, the other with SIGKILLs.
        string src = _tmp["src"];
        Directory.CreateDirectory(src);
        File.WriteAllText(Path.Combine(src, "kept"), "kept");
        foreach (var target in new[] { _tmp["base"], _tmp["dst"] })
        {
            Directory.CreateDirectory(target);
            File.WriteAllText(Path.Combine(target, "kept"), "kept");
            Assert.Equal(0, Tools.Run("touch", ["-r", Path.Combine(src, "kept"), Path.Combine(target, "kept")]).ExitCode);
            Tools.MakeTree("small", Path.Combine(target, "gone"), 0.12);
        }
        var uninterrupted = RunUninterrupted("delete", src, _tmp["base"], "--ledger", _tmp["base.db"], "--threads", "2");
        var expected = LedgerReader.State(_tmp["base.db"], 1).Counters;
        Assert.True(expected.Deleted > 12_000);

        string[] args = ["delete", src, _tmp["dst"], "--ledger", _tmp["crash.db"], "--threads", "2"];
        int killed = KillAtRandomMoments(args, uninterrupted);
        Assert.True(killed >= 1, "no run was interrupted");
        var final = Tools.Pdm_(args);
        Assert.True(final.ExitCode == 0, $"{final.Stdout}\n{final.Stderr}");
        Tools.AssertTreesEqual(src, _tmp["dst"], "dirmtime");
        Assert.Equal(expected, LedgerReader.State(_tmp["crash.db"], 1).Counters);
    }

    [Fact]
    public void CtrlCStopsCleanlyAndResumeFinishesThePass()
    {
        string src = _tmp["src"];
        Tools.MakeTree("small", src, 0.5);
        using var p = Tools.Start("copy", src, _tmp["dst"], "--ledger", _tmp["l.db"], "--threads", "1");
        // Progress in the ledger means the node runs, and pdm handles SIGINT from before it starts the node.
        Tools.WaitFor(() =>
        {
            Assert.False(p.HasExited, "the copy ended before it could be interrupted");
            return File.Exists(_tmp["l.db"]) && LedgerReader.State(_tmp["l.db"], 1).Counters.EntriesSeen > 0;
        }, "the copy to start");
        Assert.Equal(0, Tools.Run("kill", ["-INT", p.Id.ToString()]).ExitCode);
        Assert.True(p.WaitForExit(30_000), "pdm did not stop on SIGINT");
        Assert.Equal(130, p.ExitCode);

        var status = Tools.Pdm_("passes", "--ledger", _tmp["l.db"]);
        Assert.Contains("interrupted", status.Stdout); // waits to be resumed

        var resumed = Tools.Pdm_("resume", "1", "--ledger", _tmp["l.db"]);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains("resuming copy pass 1", resumed.Stderr);
        Tools.AssertTreesEqual(src, _tmp["dst"]);
        Assert.Empty(Tools.Temporaries(_tmp["dst"]));
    }
}
