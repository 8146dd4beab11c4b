using Pdm.Ledger;
using Pdm.Tests.Support;

namespace Pdm.Tests.EndToEnd;

/// <summary>
/// The multicore JIT profile `pdm` keeps in its cache directory: written in place atomically, one per
/// command, and never a reason for a command to fail (no cache, a garbled profile, a killed run's copy).
/// In the timing collection: one test pauses a running copy, which other tests' load could let finish first.
/// </summary>
[Collection(TimingCollection.Name)]
public sealed class StartupProfileTests : IDisposable
{
    private readonly TempTree _tmp = new();

    public StartupProfileTests()
    {
        Directory.CreateDirectory(_tmp["src/d"]);
        File.WriteAllText(_tmp["src/d/f"], "data");
    }

    public void Dispose() => _tmp.Dispose();

    private string Profile => _tmp["cache/pdm/copy.jitprofile"];

    private Tools.Result Copy(string cacheHome)
    {
        var r = Tools.Run(Tools.Pdm, ["copy", _tmp["src"], _tmp["dst"], "--ledger", _tmp["l.db"]], env: CacheHome(cacheHome));
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.DoesNotContain("warning", r.Stderr);
        Tools.AssertTreesEqual(_tmp["src"], _tmp["dst"]);
        return r;
    }

    [Fact]
    public void ARunThatGoesOnRecordsOnlyItsStart()
    {
        // A pass paused from another terminal: its process waits, for as long as the test likes.
        Tools.MakeTree("small", _tmp["many"], 0.5); // 50,000 files: on one thread, seconds longer than a pause takes to land
        var env = CacheHome(_tmp["cache"]);
        using var copy = Tools.StartWith(env, "copy", _tmp["many"], _tmp["dst"], "--ledger", _tmp["l.db"], "--threads", "1");
        try
        {
            Tools.WaitFor(() =>
            {
                Assert.False(copy.HasExited, "the copy ended before it could be paused");
                return File.Exists(_tmp["l.db"]) && LedgerReader.State(_tmp["l.db"], 1).Counters.EntriesSeen > 0;
            }, "the copy to start");
            var pause = Tools.Pdm_("pause", "1", "--ledger", _tmp["l.db"]);
            Assert.True(pause.ExitCode == 0, $"pause: exit {pause.ExitCode}: {pause.Stderr}");

            // The profile of the start is written while the process still runs, once RecordFor is over...
            string mine = _tmp[$"cache/pdm/copy.jitprofile.{copy.Id}"];
            Tools.WaitFor(() => File.Exists(mine), "the start's profile", seconds: 20);
            Thread.Sleep(500); // written in one go: whole by now
            Assert.False(copy.HasExited, "a paused pass's process waits to be resumed");
            byte[] start = File.ReadAllBytes(mine);
            Assert.True(start.Length > 1024);

            // ...and nothing the run does later (its coordinator, the end) is added to it. Cancelled, not
            // resumed: the end comes sooner, and a cancelled run keeps its profile as any other.
            var cancel = Tools.Pdm_("cancel", "1", "--ledger", _tmp["l.db"]);
            Assert.True(cancel.ExitCode == 0, $"cancel: exit {cancel.ExitCode}: {cancel.Stderr}");
            Assert.True(copy.WaitForExit(120_000));
            Assert.Equal(130, copy.ExitCode);
            Assert.Equal(start, File.ReadAllBytes(Profile));
            Assert.Empty(PrivateCopies());
        }
        finally
        {
            if (!copy.HasExited) copy.Kill();
        }
    }

    /// <summary>The environment that gives `pdm` this cache home (its profiles go to HOME/pdm).</summary>
    private static Dictionary<string, string> CacheHome(string home) => new() { ["XDG_CACHE_HOME"] = home };

    private string[] PrivateCopies() => Directory.GetFiles(_tmp["cache/pdm"]).Where(Pdm.Shell.StartupProfile.IsPrivateCopy).ToArray();

    [Fact]
    public void ARunLeavesItsCommandsProfileInTheCacheAndNoPrivateCopy()
    {
        Copy(_tmp["cache"]);
        Assert.True(new FileInfo(Profile).Length > 1024, "the profile of `copy` was not written");
        Assert.Empty(PrivateCopies());

        File.SetLastWriteTimeUtc(Profile, DateTime.UtcNow.AddHours(-1));
        File.WriteAllText(_tmp["src/d/g"], "more"); // a second run, which plays the first one's profile back
        Copy(_tmp["cache"]);
        Assert.True(File.GetLastWriteTimeUtc(Profile) > DateTime.UtcNow.AddMinutes(-5), "the second run did not put its profile in place");
        Assert.Empty(PrivateCopies());
    }

    [Fact]
    public void ACacheThatCannotBeWrittenChangesNothing()
    {
        Copy("/proc/pdm-no-cache-here"); // not creatable: the command runs as it would without
        File.WriteAllText(_tmp["cache"], "a file where the cache directory would be");
        Copy(_tmp["cache"]);
    }

    [Fact]
    public void AMistypedOrRefusedCommandLeavesNoProfile()
    {
        var env = CacheHome(_tmp["cache"]);
        Assert.Equal(2, Tools.Run(Tools.Pdm, ["frobnicate"], env: env).ExitCode);
        Assert.Equal(2, Tools.Run(Tools.Pdm, ["copy", _tmp["nowhere"], _tmp["dst"], "--ledger", _tmp["l.db"]], env: env).ExitCode);
        Assert.Empty(Directory.GetFiles(_tmp["cache/pdm"]));

        Copy(_tmp["cache"]); // a run that works keeps its profile, which a refused run leaves as it was
        byte[] kept = File.ReadAllBytes(Profile);
        Assert.Equal(2, Tools.Run(Tools.Pdm, ["copy", _tmp["nowhere"], _tmp["dst"], "--ledger", _tmp["l.db"]], env: env).ExitCode);
        Assert.Equal(kept, File.ReadAllBytes(Profile));
        Assert.Empty(PrivateCopies());
    }

    [Theory]
    [InlineData("random")]
    [InlineData("truncated")]
    [InlineData("empty")]
    public void AGarbledProfileIsIgnoredAndReplaced(string how)
    {
        Copy(_tmp["cache"]);
        byte[] good = File.ReadAllBytes(Profile);
        byte[] bad = how switch
        {
            "random" => RandomBytes(good.Length, seed: 11),
            "truncated" => good[..(good.Length / 2 + 3)],
            _ => [],
        };
        File.WriteAllBytes(Profile, bad);
        File.WriteAllText(_tmp["src/d/g"], "more");
        Copy(_tmp["cache"]);
        Assert.NotEqual(bad, File.ReadAllBytes(Profile));
        Assert.True(new FileInfo(Profile).Length > 1024);
    }

    [Fact]
    public void AKilledRunsPrivateCopyIsRemovedOnceItIsADayOld()
    {
        Directory.CreateDirectory(_tmp["cache/pdm"]);
        string abandoned = _tmp["cache/pdm/copy.jitprofile.4194301"], recent = _tmp["cache/pdm/status.jitprofile.4194302"];
        File.WriteAllBytes(abandoned, RandomBytes(100, seed: 1));
        File.SetLastWriteTimeUtc(abandoned, DateTime.UtcNow.AddDays(-2));
        File.WriteAllBytes(recent, RandomBytes(100, seed: 2)); // another run's, still in use
        string shared = _tmp["cache/pdm/status.jitprofile"];
        File.WriteAllBytes(shared, RandomBytes(100, seed: 3));
        File.SetLastWriteTimeUtc(shared, DateTime.UtcNow.AddDays(-7)); // a command not run for a week: kept
        Copy(_tmp["cache"]);
        Assert.False(File.Exists(abandoned));
        Assert.True(File.Exists(recent));
        Assert.True(File.Exists(shared));
    }

    private static byte[] RandomBytes(int n, int seed)
    {
        var bytes = new byte[n];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
