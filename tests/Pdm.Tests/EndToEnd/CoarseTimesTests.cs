using Pdm.Ledger;
using Pdm.Tests.Support;

namespace Pdm.Tests.EndToEnd;

/// <summary>
/// A target whose timestamps are coarser than the source's (Lustre keeps seconds; so does an ext4 of
/// 128-byte inodes, used here): the copies' times are truncated, and a later pass must still find
/// them equal instead of copying everything again.
/// </summary>
public sealed class CoarseTimesTests : IDisposable
{
    private readonly TempTree _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void ASecondPassToATargetOfWholeSecondsCopiesNothing()
    {
        Assert.True(Tools.IsRoot, "this test runs as root, as CI does (it mounts an ext4)");
        string src = _tmp["src"], ledger = _tmp["ledger.db"];
        string dst = Path.Combine(_tmp.MountExt4("coarse", 64, "-I", "128"), "dst");
        Tools.MakeTree("small", src, 0.01);
        var sub = Directory.GetFiles(src, "*", SearchOption.AllDirectories);
        Assert.Contains(sub, f => File.GetLastWriteTimeUtc(f).Ticks % TimeSpan.TicksPerSecond != 0); // the source has sub-second times

        var first = Tools.Pdm_("copy", src, dst, "--ledger", ledger);
        Assert.True(first.ExitCode == 0, $"pdm copy exited {first.ExitCode}:\n{first.Stdout}\n{first.Stderr}");
        Assert.All(Directory.GetFiles(dst, "*", SearchOption.AllDirectories),
            f => Assert.Equal(0, File.GetLastWriteTimeUtc(f).Ticks % TimeSpan.TicksPerSecond)); // the target keeps seconds
        Tools.AssertTreesEqual(src, dst, "mtime", "dirmtime");
        var c1 = LedgerReader.State(ledger, LedgerReader.LastPass(ledger).Id).Counters;

        var second = Tools.Pdm_("copy", src, dst, "--ledger", ledger);
        Assert.True(second.ExitCode == 0, second.Stderr);
        var c2 = LedgerReader.State(ledger, LedgerReader.LastPass(ledger).Id).Counters;
        Assert.Equal(0, c2.FilesCopied);
        Assert.Equal(0, c2.MetadataFixed);
        Assert.Equal(c1.FilesCopied, c2.SkippedEqual);

        var verify = Tools.Pdm_("verify", src, dst, "--ledger", ledger);
        Assert.True(verify.ExitCode == 0, $"pdm verify exited {verify.ExitCode}:\n{verify.Stdout}\n{verify.Stderr}");

        // A change the target can hold is still seen: a new second.
        string changed = sub[0];
        File.SetLastWriteTimeUtc(changed, File.GetLastWriteTimeUtc(changed).AddSeconds(3));
        var third = Tools.Pdm_("copy", src, dst, "--ledger", ledger);
        Assert.True(third.ExitCode == 0, third.Stderr);
        Assert.Equal(1, LedgerReader.State(ledger, LedgerReader.LastPass(ledger).Id).Counters.FilesCopied);
    }
}
