using Pdm.Actors;
using Pdm.Ledger;
using Pdm.Tests.Support;

namespace Pdm.Tests.Ledger;

/// <summary>
/// The ledger's transactions, as every backend must keep them: the same tests run on a real SQLite file
/// (<see cref="SqliteLedgerTests"/>) and a real PostgreSQL database (<see cref="PostgresLedgerTests"/>).
/// </summary>
public abstract class LedgerContract : IDisposable
{
    protected static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    protected readonly SqlLedger _ledger;
    private readonly IDisposable _store;

    /// <param name="store">what holds the ledger (a directory, a database), removed after the ledger is closed</param>
    protected LedgerContract(SqlLedger ledger, IDisposable store)
    {
        _ledger = ledger;
        _store = store;
    }

    /// <summary>One value read with plain SQL, beside the ledger (to see what it stored).</summary>
    protected abstract object? Scalar(string sql);

    public void Dispose()
    {
        _ledger.Dispose();
        _store.Dispose();
    }

    protected long StartPass()
    {
        long id = _ledger.CreatePass(PassKind.Copy, "/src"u8.ToArray(), "/dst"u8.ToArray(), PassOptions.None);
        _ledger.SetPassStatus(id, PassStatus.Running);
        return id;
    }

    protected PassState State(long passId) => _ledger.GetPassState(passId)!;

    [Fact]
    public void ANewPassOffersOnlyItsRootScan()
    {
        long pass = StartPass();
        var items = _ledger.Claim("n1", 10, Lease);
        var scan = Assert.Single(items);
        Assert.Equal(WorkKind.Scan, scan.Kind);
        Assert.Equal(pass, scan.PassId);
        Assert.Empty(scan.Dir);
        Assert.Empty(_ledger.Claim("n2", 10, Lease)); // leased, and the finalize waits for it
    }

    [Fact]
    public void APassThatEndedStaysEnded()
    {
        long pass = StartPass();
        Assert.True(_ledger.SetPassStatus(pass, PassStatus.Cancelled));
        Assert.False(_ledger.SetPassStatus(pass, PassStatus.Interrupted)); // a late Ctrl-C
        Assert.False(_ledger.SetPassStatus(pass, PassStatus.Running));
        Assert.Equal(PassStatus.Cancelled, _ledger.GetPass(pass)!.Status);
        Assert.Equal(PassStatus.Cancelled, State(pass).Status);
        Assert.Empty(_ledger.Claim("n", 10, Lease));
    }

    [Fact]
    public void PausedPassesAreNotClaimedUntilResumed()
    {
        long pass = StartPass();
        Assert.True(_ledger.SetPassStatus(pass, PassStatus.Paused));
        Assert.Empty(_ledger.Claim("n", 10, Lease));
        Assert.True(_ledger.SetPassStatus(pass, PassStatus.Running));
        Assert.Single(_ledger.Claim("n", 10, Lease));
    }

    [Fact]
    public void QueuedPassesAreNotClaimed()
    {
        _ledger.CreatePass(PassKind.Copy, "/a"u8.ToArray(), "/b"u8.ToArray(), PassOptions.None);
        Assert.Empty(_ledger.Claim("n1", 10, Lease));
    }

    [Fact]
    public void ADirectoryIsFinalizedOnlyAfterEverythingBelowIt()
    {
        long pass = StartPass();
        var root = _ledger.Claim("n", 10, Lease).Single();
        var outcome = new ItemOutcome();
        outcome.AddSubdirectory("sub"u8.ToArray());
        outcome.AddBatch(WorkKind.Copy, Engine.BatchCodec.EncodeCopies([new Engine.CopyEntry(Engine.EntryAction.Copy, "f"u8.ToArray(), 1)]));
        outcome.Add(new PassCounters { EntriesSeen = 2 });
        _ledger.Complete("n", root, outcome);

        var next = _ledger.Claim("n", 10, Lease);
        Assert.Equal([WorkKind.Scan, WorkKind.Copy], next.Select(i => i.Kind).Order());
        var subScan = next.Single(i => i.Kind == WorkKind.Scan);
        Assert.Equal("sub"u8.ToArray(), subScan.Dir);
        _ledger.Complete("n", next.Single(i => i.Kind == WorkKind.Copy), new ItemOutcome { Delta = new PassCounters { FilesCopied = 1, BytesCopied = 1 } });
        Assert.Empty(_ledger.Claim("n", 10, Lease)); // root finalize still waits for the subtree

        _ledger.Complete("n", subScan, new ItemOutcome());
        var subFinalize = Assert.Single(_ledger.Claim("n", 10, Lease));
        Assert.Equal((WorkKind.Finalize, "sub"), (subFinalize.Kind, System.Text.Encoding.UTF8.GetString(subFinalize.Dir)));
        Assert.Empty(_ledger.Claim("n", 10, Lease));
        _ledger.Complete("n", subFinalize, new ItemOutcome());

        var rootFinalize = Assert.Single(_ledger.Claim("n", 10, Lease));
        Assert.Equal(WorkKind.Finalize, rootFinalize.Kind);
        Assert.Null(rootFinalize.ParentId);
        _ledger.Complete("n", rootFinalize, new ItemOutcome());

        var state = State(pass);
        Assert.Equal(PassStatus.Completed, state.Status);
        Assert.Equal(new PassCounters { EntriesSeen = 2, FilesCopied = 1, BytesCopied = 1 }, state.Counters);
    }

    [Fact]
    public void AScanThatSpawnedNothingCompletesItsFinalizeAndAtTheRootThePass()
    {
        long pass = StartPass();
        var root = _ledger.Claim("n", 10, Lease).Single();
        _ledger.Complete("n", root, new ItemOutcome { FinalizedDirectory = true, Delta = new PassCounters { EntriesSeen = 3, SkippedEqual = 3 } });
        Assert.Empty(_ledger.Claim("n", 10, Lease));
        Assert.Equal(PassStatus.Completed, State(pass).Status);
        Assert.Equal(3, State(pass).Counters.SkippedEqual);
    }

    [Fact]
    public void AScanCannotFinalizeADirectoryWhoseEarlierCheckpointSpawnedWork()
    {
        long pass = StartPass();
        var root = _ledger.Claim("n", 10, Lease).Single();
        var part = new ItemOutcome { Cursor = 7 };
        part.AddBatch(WorkKind.Copy, Engine.BatchCodec.EncodeCopies([new Engine.CopyEntry(Engine.EntryAction.Copy, "f"u8.ToArray(), 1)]));
        _ledger.Checkpoint("n", root, part, Lease);
        // the rest of the directory had nothing to do, and the scan says it finalized the directory:
        _ledger.Complete("n", root, new ItemOutcome { FinalizedDirectory = true });
        // the finalize still waits for the copy batch, and runs after it
        var copy = Assert.Single(_ledger.Claim("n", 10, Lease));
        Assert.Equal(WorkKind.Copy, copy.Kind);
        Assert.NotEqual(PassStatus.Completed, State(pass).Status);
        _ledger.Complete("n", copy, new ItemOutcome());
        Assert.Equal(WorkKind.Finalize, Assert.Single(_ledger.Claim("n", 10, Lease)).Kind);
    }

    [Fact]
    public void AnItemTakenOverByAnotherNodeCannotBeCompletedByTheFirst()
    {
        long pass = StartPass();
        var item = _ledger.Claim("slow", 1, TimeSpan.FromMilliseconds(-1)).Single(); // lease already expired
        Assert.Equal(1, _ledger.ReclaimExpired(maxAttempts: 5));
        var again = _ledger.Claim("fast", 1, Lease).Single();
        Assert.Equal(item.Id, again.Id);

        var stale = new ItemOutcome { Delta = new PassCounters { EntriesSeen = 99 } };
        stale.AddSubdirectory("ghost"u8.ToArray());
        stale.Fail("x"u8.ToArray(), "open", 2, "No such file or directory");
        Assert.Throws<LeaseLostException>(() => _ledger.Complete("slow", item, stale));

        // nothing of the stale attempt was written: no counts, no failures, no spawned items
        Assert.Equal(default, State(pass).Counters);
        Assert.Empty(_ledger.Failures(pass, 0, 10));
        _ledger.Complete("fast", again, new ItemOutcome { Delta = new PassCounters { EntriesSeen = 1 } });
        Assert.Equal(1, State(pass).Counters.EntriesSeen);
        Assert.Equal(WorkKind.Finalize, Assert.Single(_ledger.Claim("fast", 10, Lease)).Kind);
    }

    /// <summary>The root scan of the pass just started, run by <paramref name="node"/>, spawns <paramref name="count"/> copy batches, which it then claims.</summary>
    private IReadOnlyList<WorkItem> CopyBatchesClaimedBy(string node, int count)
    {
        var root = _ledger.Claim(node, 1, Lease).Single();
        var spawn = new ItemOutcome();
        for (int i = 0; i < count; i++)
            spawn.AddBatch(WorkKind.Copy, Engine.BatchCodec.EncodeCopies([new Engine.CopyEntry(Engine.EntryAction.Copy, System.Text.Encoding.ASCII.GetBytes($"f{i}"), 1)]), 1);
        _ledger.Complete(node, root, spawn);
        var batches = _ledger.Claim(node, 10, Lease);
        Assert.Equal(count, batches.Count);
        return batches;
    }

    /// <summary>
    /// A renewal that runs between a completion's commit and the feeder hearing of it still holds the
    /// item: it is finished by this node, not lost (a single-process copy of 10^6 files warned "taken
    /// over by others" for such an item). One taken over and finished by another node is lost.
    /// </summary>
    [Fact]
    public void ARenewalCountsAnItemThisNodeJustFinishedAsNotLost()
    {
        StartPass();
        var batches = CopyBatchesClaimedBy("n", 2);
        _ledger.Complete("n", batches[0], new ItemOutcome { Delta = new PassCounters { FilesCopied = 1 } });
        _ledger.Release("n", [batches[1].Id]);
        var takenOver = Assert.Single(_ledger.Claim("other", 1, Lease));
        _ledger.Complete("other", takenOver, new ItemOutcome { Delta = new PassCounters { FilesCopied = 1 } });

        Assert.Equal([batches[1].Id], _ledger.RenewLeases("n", [batches[0].Id, batches[1].Id], Lease));
    }

    [Fact]
    public void AGroupCommitRefusesOnlyTheItemWhoseLeaseWasLost()
    {
        long pass = StartPass();
        var batches = CopyBatchesClaimedBy("n", 3);
        _ledger.Release("n", [batches[1].Id]);
        Assert.Single(_ledger.Claim("other", 1, Lease)); // batches[1] now belongs to another node

        var results = _ledger.CompleteMany("n", batches.Select(b => (b, new ItemOutcome { Delta = new PassCounters { FilesCopied = 1 } })).ToList());
        Assert.Null(results[0]);
        Assert.IsType<LeaseLostException>(results[1]);
        Assert.Null(results[2]);
        Assert.Equal(2, State(pass).Counters.FilesCopied);
    }

    [Fact]
    public void ACheckpointKeepsItsCountsAndCursorWhenTheScanIsRerun()
    {
        long pass = StartPass();
        var scan = _ledger.Claim("n1", 1, TimeSpan.FromMilliseconds(-1)).Single();
        var part = new ItemOutcome { Cursor = 4242, Delta = new PassCounters { EntriesSeen = 10, SkippedEqual = 10 } };
        _ledger.Checkpoint("n1", scan, part, TimeSpan.FromMilliseconds(-1));
        // n1 dies; its uncommitted work after the checkpoint is lost, the checkpoint is not
        _ledger.ReclaimExpired(5);
        var rerun = _ledger.Claim("n2", 1, Lease).Single();
        Assert.Equal(4242, rerun.Cursor);
        Assert.Equal(2, rerun.Attempts);
        _ledger.Complete("n2", rerun, new ItemOutcome { Delta = new PassCounters { EntriesSeen = 5, SkippedEqual = 5 } });
        Assert.Equal(new PassCounters { EntriesSeen = 15, SkippedEqual = 15 }, State(pass).Counters);
        Assert.True(_ledger.GetPass(pass)!.SweepTemporaries);
    }

    [Fact]
    public void MaxDeleteCountsTheRemovalsOfCheckpointsAndCompletionsAndRefusesBeyondIt()
    {
        long pass = _ledger.CreatePass(PassKind.Delete, "/src"u8.ToArray(), "/dst"u8.ToArray(), new PassOptions(MaxDelete: 10));
        _ledger.SetPassStatus(pass, PassStatus.Running);
        var scan = _ledger.Claim("n", 1, Lease).Single();
        static ItemOutcome Planning(int deletes, long? cursor)
        {
            var o = new ItemOutcome { Cursor = cursor, PlannedDeletes = deletes };
            o.AddBatch(WorkKind.Delete, Engine.BatchCodec.EncodeNames([.. Enumerable.Range(0, deletes).Select(i => System.Text.Encoding.ASCII.GetBytes($"f{i}"))]));
            return o;
        }
        _ledger.Checkpoint("n", scan, Planning(6, cursor: 1), Lease);
        // 6 + 6 > 10: the checkpoint is refused and nothing of it is written
        Assert.Throws<MaxDeleteExceededException>(() => _ledger.Checkpoint("n", scan, Planning(6, cursor: 2), Lease));
        Assert.Equal(1, _ledger.Claim("other", 10, Lease).Count(i => i.Kind == WorkKind.Delete));
        // the scan's completion is refused the same way; within the limit it is taken
        var results = _ledger.CompleteMany("n", [(scan, Planning(5, cursor: null))]);
        Assert.IsType<MaxDeleteExceededException>(results[0]);
        Assert.Null(_ledger.CompleteMany("n", [(scan, Planning(4, cursor: null))])[0]);
        Assert.Equal(1, _ledger.Claim("other", 10, Lease).Count(i => i.Kind == WorkKind.Delete));
    }

    [Fact]
    public void AnItemThatKeepsKillingItsNodeIsFailedAndThePassGoesOn()
    {
        long pass = StartPass();
        for (int i = 0; i < 3; i++)
        {
            Assert.Single(_ledger.Claim("n", 1, TimeSpan.FromMilliseconds(-1)));
            _ledger.ReclaimExpired(maxAttempts: 3);
        }
        var failure = Assert.Single(_ledger.Failures(pass, 0, 10));
        Assert.Contains("gave up after 3 attempts", failure.Message);
        Assert.Equal(1, State(pass).Counters.Failed);
        // the root scan is failed, so the root finalize is ready and the pass can end
        Assert.Equal(WorkKind.Finalize, Assert.Single(_ledger.Claim("n", 10, Lease)).Kind);
    }

    [Fact]
    public void ReleasedItemsAreReadyAgainWithoutCountingAnAttempt()
    {
        StartPass();
        var item = _ledger.Claim("n", 1, Lease).Single();
        _ledger.Release("n", [item.Id]);
        var again = _ledger.Claim("other", 1, Lease).Single();
        Assert.Equal(item.Id, again.Id);
        Assert.Equal(1, again.Attempts);
    }

    [Fact]
    public void ItemsOfADeadLocalNodeAreReleased()
    {
        StartPass();
        var now = DateTimeOffset.UtcNow;
        _ledger.RegisterNode(new NodeInfo("dead", "h", 999999, 1, "1", now, now, "running"));
        _ledger.Claim("dead", 1, Lease).Single();
        Assert.Equal(1, _ledger.ReleaseDeadLocalNodes("h", (_, _) => false));
        Assert.Single(_ledger.Claim("alive", 1, Lease));
        Assert.DoesNotContain(_ledger.ListNodes(), n => n.Id == "dead");
    }

    [Fact]
    public void LinkBatchesWaitForEveryScanAndCopyOfThePass()
    {
        StartPass();
        var root = _ledger.Claim("n", 1, Lease).Single();
        var outcome = new ItemOutcome();
        outcome.AddBatch(WorkKind.Link, Engine.BatchCodec.EncodeLinks([new Engine.LinkEntry("b"u8.ToArray(), "a"u8.ToArray())]));
        outcome.AddBatch(WorkKind.Copy, Engine.BatchCodec.EncodeCopies([new Engine.CopyEntry(Engine.EntryAction.Copy, "a"u8.ToArray(), 1)]));
        _ledger.Complete("n", root, outcome);
        var copy = Assert.Single(_ledger.Claim("n", 10, Lease));
        Assert.Equal(WorkKind.Copy, copy.Kind);
        _ledger.Complete("n", copy, new ItemOutcome());
        Assert.Equal(WorkKind.Link, Assert.Single(_ledger.Claim("n", 10, Lease)).Kind);
    }

    [Fact]
    public void TheFirstPathOfAnInodeLeadsAndClaimingAgainIsIdempotent()
    {
        long pass = StartPass();
        Assert.Equal("a/x"u8.ToArray(), _ledger.ClaimInode(pass, 1, 7, "a/x"u8.ToArray()));
        Assert.Equal("a/x"u8.ToArray(), _ledger.ClaimInode(pass, 1, 7, "b/y"u8.ToArray()));
        Assert.Equal("a/x"u8.ToArray(), _ledger.ClaimInode(pass, 1, 7, "a/x"u8.ToArray()));
        Assert.Equal("c"u8.ToArray(), _ledger.ClaimInode(pass, 2, 7, "c"u8.ToArray()));
    }

    [Fact]
    public void StatusChangesKeepThePassTimes()
    {
        long pass = StartPass();
        var started = State(pass);
        Assert.Equal(PassStatus.Running, started.Status);
        Assert.NotNull(started.StartedAt);
        Assert.Equal(started.StartedAt, started.RunningSince);
        Thread.Sleep(20);
        Assert.True(_ledger.SetPassStatus(pass, PassStatus.Interrupted));
        var stopped = State(pass);
        Assert.Null(stopped.RunningSince);
        Assert.True(stopped.ActiveTime >= TimeSpan.FromMilliseconds(20));
        Thread.Sleep(20);
        var later = DateTimeOffset.UtcNow;
        Assert.Equal(stopped.ActiveTime, stopped.Elapsed(later)); // an interrupted pass's clock stands still
        Assert.True(_ledger.SetPassStatus(pass, PassStatus.Running));
        Assert.True(_ledger.SetPassStatus(pass, PassStatus.Completed));
        var done = State(pass);
        Assert.Equal(started.StartedAt, done.StartedAt);
        Assert.NotNull(done.EndedAt);
        Assert.True(done.ActiveTime >= stopped.ActiveTime);
        Assert.False(_ledger.SetPassStatus(pass, PassStatus.Running)); // ended for good
    }

    [Fact]
    public void TotalsAreReadFromTheirSnapshotOn()
    {
        long pass = StartPass();
        var item = _ledger.Claim("n", 1, Lease).Single();
        for (int i = 0; i < 1500; i++)
            _ledger.Checkpoint("n", item, new ItemOutcome { Cursor = i + 1, Delta = new PassCounters { EntriesSeen = 1 } }, Lease);
        Assert.Equal(1500, State(pass).Counters.EntriesSeen); // sums 1500 progress rows and snapshots the sum
        Assert.Equal(1500L, Convert.ToInt64(Scalar($"SELECT entries_seen FROM pass_snapshots WHERE pass_id = {pass}")));
        _ledger.Checkpoint("n", item, new ItemOutcome { Cursor = 9999, Delta = new PassCounters { EntriesSeen = 1 } }, Lease);
        Assert.Equal(1501, State(pass).Counters.EntriesSeen);
    }
}
