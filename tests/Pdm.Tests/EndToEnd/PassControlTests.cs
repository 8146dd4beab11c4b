using System.Diagnostics;
using Pdm.Ledger;
using Pdm.Tests.Support;

namespace Pdm.Tests.EndToEnd;

/// <summary>Pause, resume, cancel and status on a pass that a real `pdm` process is running.</summary>
[Collection(TimingCollection.Name)]
public sealed class PassControlTests : IDisposable
{
    private readonly TempTree _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private Tools.Result Pdm(params string[] args) => Tools.Pdm_([.. args, "--ledger", _tmp["l.db"]]);

    private long Copied() => LedgerReader.State(_tmp["l.db"], 1).Counters.FilesCopied;

    private static void WaitFor(Func<bool> condition, string what) => Tools.WaitFor(condition, what);

    /// <summary>Items of pass 1 leased to a node: 0 means nothing is in flight, so its counts stand still.</summary>
    private int Leased()
    {
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_tmp["l.db"]};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var c = db.CreateCommand();
        c.CommandText = "SELECT COUNT(*) FROM work_items WHERE pass_id = 1 AND state = 'leased'";
        return Convert.ToInt32(c.ExecuteScalar());
    }

    /// <summary>A copy of many files on one thread, with its pass started: long enough to be paused or cancelled.</summary>
    private Process StartLongCopy(string src)
    {
        Tools.MakeTree("small", src, 0.3);
        var copy = Tools.Start("copy", src, _tmp["dst"], "--ledger", _tmp["l.db"], "--threads", "1");
        WaitFor(() =>
        {
            Assert.False(copy.HasExited, "the copy ended before it could be controlled");
            return File.Exists(_tmp["l.db"]) && LedgerReader.State(_tmp["l.db"], 1).Counters.EntriesSeen > 0;
        }, "the copy to start");
        return copy;
    }

    [Fact]
    public void APausedPassStopsAndAResumedOneFinishes()
    {
        string src = _tmp["src"];
        using var copy = StartLongCopy(src);

        var pause = Pdm("pause", "1");
        Assert.True(pause.ExitCode == 0, pause.Stderr);
        WaitFor(() => Leased() == 0, "work in flight to finish");
        long atPause = Copied();
        Thread.Sleep(1500);
        Assert.Equal(atPause, Copied());
        Assert.False(copy.HasExited, "a paused pass's process waits to be resumed");
        Assert.Contains("paused", Pdm("status", "1").Stdout);

        var resume = Pdm("resume", "1");
        Assert.True(resume.ExitCode == 0, resume.Stderr);
        Assert.Contains("carry on", resume.Stdout);
        Assert.True(copy.WaitForExit(120_000));
        Assert.Equal(0, copy.ExitCode);
        Tools.AssertTreesEqual(src, _tmp["dst"]);
        var status = Pdm("status", "1");
        Assert.Contains("completed", status.Stdout);
        Assert.Contains("30,000", status.Stdout);
    }

    [Fact]
    public void ACancelledPassEndsForGood()
    {
        string src = _tmp["src"];
        using var copy = StartLongCopy(src);
        Assert.Equal(0, Pdm("cancel", "1").ExitCode);
        Assert.True(copy.WaitForExit(60_000));
        Assert.Equal(130, copy.ExitCode);
        Assert.Contains("cancelled", Pdm("passes").Stdout);
        Assert.Equal(2, Pdm("resume", "1").ExitCode);
        Assert.Empty(Tools.Temporaries(_tmp["dst"]));

        // the same command again starts a new pass, which finishes the job
        var again = Pdm("copy", src, _tmp["dst"]);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("copy pass 2", again.Stderr);
        Tools.AssertTreesEqual(src, _tmp["dst"]);
    }

    [Fact]
    public void APassWhoseProcessWasKilledIsShownStalledAndResumes()
    {
        string src = _tmp["src"];
        using var copy = StartLongCopy(src);
        copy.Kill(); // SIGKILL: nothing is handed back
        copy.WaitForExit();

        var passes = Pdm("passes");
        Assert.Contains("stalled", passes.Stdout);
        Assert.Contains("no live node has worked on it since", passes.Stdout);
        Assert.Contains("stalled", Pdm("status", "1").Stdout);

        var resumed = Pdm("resume", "1");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Tools.AssertTreesEqual(src, _tmp["dst"]);
        Assert.Contains("completed", Pdm("passes").Stdout);
    }

    [Fact]
    public void StatusOfAMissingLedgerIsExitThree()
    {
        var r = Tools.Pdm_("status", "1", "--ledger", _tmp["nowhere/l.db"]);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("no ledger", r.Stderr);
    }

    [Fact]
    public void TheShellTakesTheSameCommandsAndKeepsHistory()
    {
        Directory.CreateDirectory(_tmp["src"]);
        File.WriteAllText(_tmp["src/f"], "x");
        var env = new Dictionary<string, string> { ["XDG_STATE_HOME"] = _tmp["state"] };
        string input = $"copy {_tmp["src"]} {_tmp["dst"]} --ledger {_tmp["l.db"]}\npasses --ledger '{_tmp["l.db"]}'\nhelp\nhistory\nexit\n";
        var r = Tools.Run(Tools.Pdm, ["shell"], stdin: input, env: env);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("pdm> ", r.Stdout);
        Assert.Contains("copy pass 1 completed", r.Stdout);
        Assert.Contains("SOURCE -> TARGET", r.Stdout);
        Assert.Contains("verify", r.Stdout); // help lists the commands
        Assert.Contains("    2  passes --ledger", r.Stdout);
        Assert.True(File.Exists(_tmp["state/pdm/history"]));
        Tools.AssertTreesEqual(_tmp["src"], _tmp["dst"]);
    }
}
