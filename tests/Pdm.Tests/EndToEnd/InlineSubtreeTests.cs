using System.Text;
using Pdm.Actors;
using Pdm.Ledger;
using Pdm.Tests.Support;

namespace Pdm.Tests.EndToEnd;

/// <summary>
/// A scan finishes small unchanged subtrees within its own work item (WorkLimits.InlineEntries). That
/// must change nothing but the number of items: the same tree, the same counts, as when every
/// directory is a work item of its own; also when the changes sit deep inside such subtrees.
/// </summary>
public sealed class InlineSubtreeTests : IDisposable
{
    private readonly TempTree _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static readonly WorkLimits EveryDirectoryAnItem = WorkLimits.Default with { InlineEntries = 0 };

    /// <summary>Runs one pass in this process, with the actors `pdm` runs (no journal: the test reads the ledger), with the given limits.</summary>
    private PassState RunPass(PassKind kind, string source, string target, string ledgerName, WorkLimits limits)
    {
        Directory.CreateDirectory(target); // as `pdm copy` does before the pass starts
        using var ledger = SqliteLedger.Open(_tmp[ledgerName]);
        long passId = ledger.CreatePass(kind, Encoding.UTF8.GetBytes(source), Encoding.UTF8.GetBytes(target), PassOptions.None);
        ledger.SetPassStatus(passId, PassStatus.Running);
        string? problem = null;
        var host = MoverHost.StartAsync(new MoverHostOptions(Akka.Configuration.Config.Empty, Journal: null)).GetAwaiter().GetResult();
        try
        {
            var node = MoverNode.Start(host.System, ledger, NodeOptions.Default with { Threads = 3, Limits = limits }, m => problem = m, passId);
            Assert.True(node.Finished.Wait(TimeSpan.FromMinutes(5)), "the pass did not finish");
        }
        finally
        {
            host.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        Assert.True(problem is null, problem);
        var state = ledger.GetPassState(passId)!;
        Assert.Equal(PassStatus.Completed, state.Status);
        return state;
    }

    /// <summary>Changes deep in the `small` part of a target (the same in every target given the same tree).</summary>
    private static void Disturb(string target, bool extra)
    {
        string deep = Directory.EnumerateDirectories(Path.Combine(target, "small"), "*", SearchOption.AllDirectories)
            .Where(d => Directory.EnumerateFiles(d).Count() >= 3)
            .OrderByDescending(d => d.Count(c => c == '/')).ThenBy(d => d, StringComparer.Ordinal).First();
        Assert.True(deep.Count(c => c == '/') - target.Count(c => c == '/') >= 3, $"{deep} is not deep enough for this test");
        var files = Directory.EnumerateFiles(deep).OrderBy(f => f, StringComparer.Ordinal).ToList();
        File.Delete(files[0]);                                                        // copied again
        File.SetLastWriteTimeUtc(files[1], new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc)); // copied again
        File.SetUnixFileMode(files[2], UnixFileMode.UserRead);                        // metadata fixed
        File.SetUnixFileMode(deep, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // finalize fixes it
        if (extra) File.WriteAllText(Path.Combine(Path.GetDirectoryName(deep)!, "extra-in-target"), "x"); // for the delete pass
    }

    [Fact]
    public void FinishingUnchangedSubtreesWithinAnItemGivesTheSameTreeAndCounts()
    {
        string src = _tmp["src"];
        Directory.CreateDirectory(src);
        Tools.MakeTree("small", Path.Combine(src, "small"), 0.03);
        Tools.MakeTree("nasty", Path.Combine(src, "nasty"), 1.0);
        string inline = _tmp["inline"], itemized = _tmp["itemized"];

        foreach (var (target, limits) in new[] { (inline, WorkLimits.Default), (itemized, EveryDirectoryAnItem) })
            RunPass(PassKind.Copy, src, target, $"first-{Path.GetFileName(target)}.db", limits);
        Tools.AssertTreesEqual(src, inline);
        Tools.AssertTreesEqual(src, itemized);

        foreach (var kind in new[] { PassKind.Copy, PassKind.Delete, PassKind.Mtime, PassKind.Copy })
        {
            if (kind == PassKind.Delete)
            {
                Disturb(inline, extra: true);
                Disturb(itemized, extra: true);
            }
            var a = RunPass(kind, src, inline, $"inline-{kind}.db", WorkLimits.Default).Counters;
            var b = RunPass(kind, src, itemized, $"itemized-{kind}.db", EveryDirectoryAnItem).Counters;
            Assert.Equal(b, a);
        }
        Tools.AssertTreesEqual(src, inline);
        Tools.AssertTreesEqual(src, itemized);
    }

    [Fact]
    public void AChangeDeepInsideASmallSubtreeIsFoundAndCopied()
    {
        string src = _tmp["src"];
        Directory.CreateDirectory(src);
        Tools.MakeTree("small", Path.Combine(src, "small"), 0.03);
        string dst = _tmp["dst"];
        RunPass(PassKind.Copy, src, dst, "first.db", WorkLimits.Default);
        Disturb(dst, extra: false);

        var again = RunPass(PassKind.Copy, src, dst, "again.db", WorkLimits.Default).Counters;
        Assert.Equal(2, again.FilesCopied);
        Assert.Equal(1, again.MetadataFixed);
        Assert.Equal(0, again.Failed);
        Tools.AssertTreesEqual(src, dst);

        var unchanged = RunPass(PassKind.Copy, src, dst, "unchanged.db", WorkLimits.Default).Counters;
        Assert.Equal(0, unchanged.FilesCopied + unchanged.MetadataFixed + unchanged.Failed);
        Assert.Equal(again.EntriesSeen, unchanged.EntriesSeen);
    }
}
