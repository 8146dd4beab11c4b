using Pdm.Ledger;
using Pdm.Tests.Support;

namespace Pdm.Tests.EndToEnd;

/// <summary>Pause, resume, cancel and status on a pass that a real `pdm` process is running.</summary>
public sealed class PassControlTests : IDisposable
{
    private readonly TempTree _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private Tools.Result Pdm(params string[] args) => Tools.Pdm_([.. args, "--ledger", _tmp["l.db"]]);

    private long Copied() => LedgerReader.State(_tmp["l.db"], 1).Counters.FilesCopied;

    private static void WaitFor(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, $"timed out waiting for {what}");
            Thread.Sleep(50);
        }
    }

    [Fact]
    public void APausedPassStopsAndAResumedOneFinishes()
    {
        string src = _tmp["src"];
        Tools.MakeTree("small", src, 0.1);
        using var copy = Tools.Start("copy", src, _tmp["dst"], "--ledger", _tmp["l.db"], "--threads", "1");
        WaitFor(() => File.Exists(_tmp["l.db"]) && Copied() > 0, "the copy to start");

        var pause = Pdm("pause", "1");
        Assert.True(pause.ExitCode == 0, pause.Stderr);
        Thread.Sleep(1500); // work in flight finishes
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
        Assert.Contains("10,000", status.Stdout);
    }

    [Fact]
    public void ACancelledPassEndsForGood()
    {
        string src = _tmp["src"];
        Tools.MakeTree("small", src, 0.1);
        using var copy = Tools.Start("copy", src, _tmp["dst"], "--ledger", _tmp["l.db"], "--threads", "1");
        WaitFor(() => File.Exists(_tmp["l.db"]) && Copied() > 0, "the copy to start");
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
