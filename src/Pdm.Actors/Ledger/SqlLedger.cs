namespace Pdm.Ledger;

/// <summary>
/// The ledger's logic, once, on either database (<see cref="ILedgerStore"/>): SQLite embedded
/// (<see cref="SqliteLedger"/>), PostgreSQL for a cluster (<see cref="PostgresLedger"/>). Every
/// public method is one transaction. Work items are leased and every change to one is guarded by its
/// lease owner, so a node back from a stall cannot overwrite another's work; finishing an item is one
/// transaction with its results, the items it spawns, its failures and the pass's totals.
/// </summary>
public abstract class SqlLedger : ILedger
{
    protected SqlLedger(ILedgerStore store) => Store = store;

    protected ILedgerStore Store { get; }

    /// <summary>The ledger's file or (password left out) URI.</summary>
    public string Path => Store.Name;

    private LedgerDialect Dialect => Store.Dialect;

    protected static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>How long a ledger call keeps trying while its database is away (PostgreSQL restarting), before it gives up.</summary>
    public static TimeSpan PatienceWithDatabase { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Whether the database has answered once. Until it has, nothing is retried: a ledger that cannot be
    /// reached when a command starts is a one-line error at once (exit 3), not ten minutes of waiting.
    /// </summary>
    private volatile bool _reached;

    /// <summary>
    /// Runs one transaction. One that failed because the database went away before it committed (a
    /// PostgreSQL restart) is run again, from the start, on a new connection; one that failed while it
    /// committed may or may not have committed, and its error is the caller's.
    /// </summary>
    protected T Write<T>(Func<ILedgerTransaction, T> body) => WithPatience(() =>
    {
        using var tx = Store.Begin();
        return body(tx);
    });

    protected void Write(Action<ILedgerTransaction> body) => Write(tx =>
    {
        body(tx);
        return 0;
    });

    /// <summary>Runs reads (or single statements, each its own transaction) in one session; run again as <see cref="Write{T}"/> is.</summary>
    protected T Read<T>(Func<ILedgerSession, T> body) => WithPatience(() =>
    {
        using var s = Store.Session();
        return body(s);
    });

    protected void Read(Action<ILedgerSession> body) => Read(s =>
    {
        body(s);
        return 0;
    });

    private T WithPatience<T>(Func<T> attempt)
    {
        var until = DateTime.UtcNow + PatienceWithDatabase;
        var wait = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                var result = attempt();
                _reached = true;
                return result;
            }
            catch (LedgerTransientException e) when (_reached && !e.WhileCommitting && DateTime.UtcNow < until)
            {
                Thread.Sleep(wait);
                wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    public abstract int SchemaVersion { get; }

    /// <summary>Where the coordinators' journal goes: the same database.</summary>
    public abstract Actors.JournalDatabase Journal { get; }

    // ---- passes -------------------------------------------------------------------------------

    public long CreatePass(PassKind kind, byte[] source, byte[] target, PassOptions options)
    {
        return Write(tx =>
        {
            long now = Now();
            // A target left half-done by an earlier pass may hold its temporaries: sweep them.
            bool sweep = Convert.ToInt64(tx.Scalar(
                "SELECT COUNT(*) FROM passes WHERE target = @t AND state NOT IN ('completed')", ("@t", target))) > 0;
            long passId = Convert.ToInt64(tx.Scalar(
                "INSERT INTO passes (kind, source, target, options, state, sweep_temporaries, created_at) VALUES (@k, @s, @t, @o, 'queued', @w, @now) RETURNING id",
                ("@k", LedgerNames.KindName(kind)), ("@s", source), ("@t", target), ("@o", options.ToJson()), ("@w", sweep ? 1 : 0), ("@now", now)));
            long finalize = Convert.ToInt64(tx.Scalar(
                "INSERT INTO work_items (pass_id, kind, state, parent_id, pending, depth, dir) VALUES (@p, 'finalize', 'blocked', NULL, 1, 0, @root) RETURNING id",
                ("@p", passId), ("@root", Array.Empty<byte>())));
            tx.Exec("INSERT INTO work_items (pass_id, kind, state, parent_id, depth, dir) VALUES (@p, 'scan', 'ready', @f, 0, @root)",
                ("@p", passId), ("@f", finalize), ("@root", Array.Empty<byte>()));
            tx.Commit();
            return passId;
        });
    }

    public PassInfo? GetPass(long passId)
    {
        return Read(s =>
        {
            return ReadPasses(s, "WHERE id = @id", ("@id", passId)).FirstOrDefault();
        });
    }

    public IReadOnlyList<PassInfo> ListPasses()
    {
        return Read(s =>
        {
            return ReadPasses(s, "ORDER BY id");
        });
    }

    public PassInfo? FindUnfinishedPass(PassKind kind, byte[] source, byte[] target, PassOptions options)
    {
        return Read(s =>
        {
            return ReadPasses(s,
                "WHERE kind = @k AND source = @s AND target = @t AND options = @o AND state IN ('queued','running','paused','interrupted') ORDER BY id DESC LIMIT 1",
                ("@k", LedgerNames.KindName(kind)), ("@s", source), ("@t", target), ("@o", options.ToJson())).FirstOrDefault();
        });
    }

    private static List<PassInfo> ReadPasses(ILedgerSession s, string where, params (string, object?)[] args)
    {
        using var r = s.Rows($"SELECT id, kind, source, target, state, sweep_temporaries, created_at, options FROM passes {where}", args);
        var list = new List<PassInfo>();
        while (r.Read())
            list.Add(new PassInfo(r.GetInt64(0), LedgerNames.ParseKind(r.GetString(1)), r.GetBlob(2), r.GetBlob(3), LedgerNames.ParseStatus(r.GetString(4)),
                r.GetInt64(5) != 0, DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)), PassOptions.FromJson(r.GetString(7))));
        return list;
    }

    public bool SetPassStatus(long passId, PassStatus status)
    {
        return Write(tx =>
        {
            if (!SetStatus(tx, passId, status, Now())) return false;
            tx.Commit();
            return true;
        });
    }

    public bool StopPass(long passId, string reason)
    {
        return Write(tx =>
        {
            if (tx.Exec("UPDATE passes SET stop_reason = @r WHERE id = @id AND state = 'running'", ("@r", reason), ("@id", passId)) != 1
                || !SetStatus(tx, passId, PassStatus.Interrupted, Now()))
                return false;
            tx.Commit();
            return true;
        });
    }

    /// <summary>
    /// Moves a pass to <paramref name="status"/> and keeps its times: when it first ran, since when it
    /// runs, how long it ran before, when it ended. A pass that ended stays ended: a late Ctrl-C or a
    /// second cancel changes nothing (false). Every column's old value is read in the SET list.
    /// </summary>
    private static bool SetStatus(ILedgerTransaction tx, long passId, PassStatus status, long now)
    {
        bool running = status == PassStatus.Running;
        bool ends = status.IsFinished();
        return tx.Exec("""
            UPDATE passes SET
                state = @s,
                started_at = CASE WHEN @running = 1 THEN COALESCE(started_at, @now) ELSE started_at END,
                running_since = CASE WHEN @running = 1 THEN COALESCE(running_since, @now) ELSE NULL END,
                active_ms = CASE WHEN @running = 0 AND running_since IS NOT NULL AND @now > running_since
                                 THEN active_ms + (@now - running_since) ELSE active_ms END,
                ended_at = CASE WHEN @ends = 1 THEN @now ELSE ended_at END,
                stop_reason = CASE WHEN @running = 1 THEN NULL ELSE stop_reason END
             WHERE id = @id AND state NOT IN ('completed', 'failed', 'cancelled')
            """, ("@s", LedgerNames.StatusName(status)), ("@running", running ? 1 : 0), ("@ends", ends ? 1 : 0), ("@now", now), ("@id", passId)) == 1;
    }

    public PassState? GetPassState(long passId)
    {
        return Read(s =>
        {
            PassState state;
            using (var r = s.Rows("SELECT state, created_at, started_at, ended_at, active_ms, running_since, journaled, stop_reason FROM passes WHERE id = @id",
                       ("@id", passId)))
            {
                if (!r.Read()) return null;
                DateTimeOffset? T(int i) => r.IsDBNull(i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));
                state = new PassState(passId, LedgerNames.ParseStatus(r.GetString(0)), default, T(1), T(2), T(3),
                    TimeSpan.FromMilliseconds(r.GetInt64(4)), T(5), r.IsDBNull(6) ? null : LedgerNames.ParseStatus(r.GetString(6)),
                    r.IsDBNull(7) ? null : r.GetString(7));
            }
            return state with { Counters = Totals(s, passId) };
        });
    }

    /// <summary>
    /// The pass's exact totals: the sum of its progress rows, read from the newest snapshot of that sum
    /// on, and snapshotted again when many rows were added since, so no reader sums a whole pass.
    /// </summary>
    private static PassCounters Totals(ILedgerSession s, long passId)
    {
        const int SnapshotEvery = 1000;
        var (lastEventId, totals) = LoadTotals(s, passId);
        int added = 0;
        while (true)
        {
            var events = EventsAfter(s, passId, lastEventId, 10_000);
            if (events.Count == 0) break;
            foreach (var e in events) totals += e.Delta;
            lastEventId = events[^1].Id;
            added += events.Count;
        }
        if (added >= SnapshotEvery) SaveTotals(s, passId, lastEventId, totals);
        return totals;
    }

    public IReadOnlyList<long> PassesToReconcile(int max)
    {
        return Read(s =>
        {
            using var r = s.Rows("SELECT id FROM passes WHERE state <> 'queued' AND (journaled IS NULL OR journaled <> state) ORDER BY id DESC LIMIT @max",
                ("@max", max));
            var list = new List<long>();
            while (r.Read()) list.Add(r.GetInt64(0));
            return list;
        });
    }

    public void SetJournaled(long passId, PassStatus status)
    {
        Read(s =>
        {
            s.Exec("UPDATE passes SET journaled = @s WHERE id = @id", ("@s", LedgerNames.StatusName(status)), ("@id", passId));
        });
    }

    public void Request(long passId, PassRequest request)
    {
        Read(s =>
        {
            s.Exec("INSERT INTO pass_requests (pass_id, command, at) VALUES (@p, @c, @t)",
                ("@p", passId), ("@c", LedgerNames.RequestName(request)), ("@t", Now()));
        });
    }

    public bool HasRequests(long passId) =>
        Read(s => s.Scalar("SELECT 1 FROM pass_requests WHERE pass_id = @p LIMIT 1", ("@p", passId)) is not null);

    public IReadOnlyList<PassRequest> TakeRequests(long passId)
    {
        // Looked at every tick of every coordinator: a read, and a write only when there is something to take.
        var taken = Read(s =>
        {
            var found = new List<(long Id, PassRequest Request)>();
            using var r = s.Rows("SELECT id, command FROM pass_requests WHERE pass_id = @p ORDER BY id", ("@p", passId));
            while (r.Read()) found.Add((r.GetInt64(0), LedgerNames.ParseRequest(r.GetString(1))));
            return found;
        });
        if (taken.Count == 0) return [];
        return Write(tx =>
        {
            var mine = taken.Where(t => tx.Exec("DELETE FROM pass_requests WHERE id = @id", ("@id", t.Id)) == 1).Select(t => t.Request).ToList();
            tx.Commit();
            return mine;
        });
    }

    // ---- work items ---------------------------------------------------------------------------

    public IReadOnlyList<WorkItem> Claim(string nodeId, int max, TimeSpan lease, long? passId = null, IReadOnlyCollection<long>? excluding = null)
    {
        // Pass ids are numbers: written into the statement, which keeps one form per set of refused passes.
        string exclude = excluding is { Count: > 0 } ? $"AND w.pass_id NOT IN ({string.Join(',', excluding.Order())})" : "";
        return Write(tx =>
        {
            var items = new List<WorkItem>();
            using (var r = tx.Rows($"""
                UPDATE work_items
                   SET state = 'leased', lease_owner = @node, lease_expires = @exp, attempts = attempts + 1
                 WHERE id IN ({Dialect.ClaimReady.Replace("{exclude}", exclude)})
                RETURNING id, pass_id, kind, parent_id, depth, dir, payload, cursor, attempts, scan_failed
                """, ("@node", nodeId), ("@exp", Now() + (long)lease.TotalMilliseconds), ("@pass", passId), ("@max", max)))
                while (r.Read())
                    items.Add(new WorkItem(r.GetInt64(0), r.GetInt64(1), LedgerNames.ParseWorkKind(r.GetString(2)),
                        r.IsDBNull(3) ? null : r.GetInt64(3), r.GetInt32(4), r.GetBlob(5), r.IsDBNull(6) ? null : r.GetBlob(6),
                        r.GetInt64(7), r.GetInt32(8), ScanFailed: r.GetInt64(9) != 0));
            foreach (var claimedPass in items.Select(i => i.PassId).Distinct().ToList())
            {
                if (Convert.ToInt64(tx.Scalar("SELECT sweep_temporaries FROM passes WHERE id = @id", ("@id", claimedPass))) == 0) continue;
                for (int i = 0; i < items.Count; i++)
                    if (items[i].PassId == claimedPass) items[i] = items[i] with { SweepTemporaries = true };
            }
            tx.Commit();
            items.Sort((a, b) => a.Id.CompareTo(b.Id));
            return items;
        });
    }

    public void Checkpoint(string nodeId, WorkItem item, ItemOutcome outcome, TimeSpan lease)
    {
        Write(tx =>
        {
            if (outcome.Cursor is not { } cursor) throw new ArgumentException("a checkpoint needs a cursor", nameof(outcome));
            var progress = new Progress();
            if (outcome.PlannedDeletes > 0) CheckDeleteBudget(tx, item.PassId, outcome.PlannedDeletes);
            int n = tx.Exec("UPDATE work_items SET cursor = @c, lease_expires = @exp WHERE id = @id AND state = 'leased' AND lease_owner = @node",
                ("@c", cursor), ("@exp", Now() + (long)lease.TotalMilliseconds), ("@id", item.Id), ("@node", nodeId));
            if (n != 1) throw new LeaseLostException(item.Id);
            AddPlannedDeletes(tx, item.PassId, outcome.PlannedDeletes);
            Record(tx, progress, item, outcome);
            progress.Flush(tx);
            tx.Commit();
        });
    }

    public void Complete(string nodeId, WorkItem item, ItemOutcome outcome)
    {
        if (CompleteMany(nodeId, [(item, outcome)])[0] is { } refused) throw refused;
    }

    public IReadOnlyList<Exception?> CompleteMany(string nodeId, IReadOnlyList<(WorkItem Item, ItemOutcome Outcome)> completions)
    {
        return Write(tx =>
        {
            var results = new Exception?[completions.Count];
            var progress = new Progress();
            for (int i = 0; i < completions.Count; i++)
            {
                // A refused item throws before it writes anything: it does not undo the others.
                var (item, outcome) = completions[i];
                try { CompleteOne(tx, progress, nodeId, item, outcome); }
                catch (Exception e) when (e is LeaseLostException or MaxDeleteExceededException) { results[i] = e; }
            }
            progress.Flush(tx);
            tx.Commit();
            return results;
        });
    }

    /// <summary>Finishes one item, or refuses it (lease lost, --max-delete) before writing anything.</summary>
    private void CompleteOne(ILedgerTransaction tx, Progress progress, string nodeId, WorkItem item, ItemOutcome outcome)
    {
        if (outcome.PlannedDeletes > 0) CheckDeleteBudget(tx, item.PassId, outcome.PlannedDeletes);
        int n = tx.Exec(
            "UPDATE work_items SET state = 'done', lease_owner = NULL, lease_expires = NULL, done_by = @node WHERE id = @id AND state = 'leased' AND lease_owner = @node",
            ("@id", item.Id), ("@node", nodeId));
        if (n != 1) throw new LeaseLostException(item.Id);
        AddPlannedDeletes(tx, item.PassId, outcome.PlannedDeletes);
        var recorded = outcome;
        if (item.Kind == WorkKind.Range && outcome.Failures.Count > 0 && item.ParentId is { } assembleItem)
        {
            // A failed range spoils its file: its assemble removes the temporary instead of renaming it
            // into place. One failure per file: the first failed range reports it, later ones add nothing.
            if (tx.Exec("UPDATE work_items SET scan_failed = 1 WHERE id = @id AND scan_failed = 0", ("@id", assembleItem)) == 0)
                recorded = new ItemOutcome();
        }
        Record(tx, progress, item, recorded);
        if (outcome.DirectoryFailed && item.Kind == WorkKind.Scan && item.ParentId is { } finalizeItem)
            tx.Exec("UPDATE work_items SET scan_failed = 1 WHERE id = @id", ("@id", finalizeItem));
        if (outcome.FinalizedDirectory && item.ParentId is { } finalize && FinishFinalizeWithScan(tx, finalize) is var (done, grandparent) && done)
            Finish(tx, progress, item.PassId, grandparent);
        else
            Finish(tx, progress, item.PassId, item.ParentId);
    }

    /// <summary>Inserts what an item spawned and its failures, and tallies its progress.</summary>
    private static void Record(ILedgerTransaction tx, Progress progress, WorkItem item, ItemOutcome outcome)
    {
        long now = Now();
        int spawned = 0;
        foreach (var (name, mode) in outcome.Subdirectories)
        {
            byte[] dir = Native.ByteNames.Join(item.Dir, name);
            byte[]? scanPayload = mode == ScanMode.Normal ? null : [(byte)mode];
            long finalize = Convert.ToInt64(tx.Scalar(
                "INSERT INTO work_items (pass_id, kind, state, parent_id, pending, depth, dir, payload) VALUES (@p, 'finalize', 'blocked', @parent, 1, @d, @dir, @payload) RETURNING id",
                ("@p", item.PassId), ("@parent", item.ParentId), ("@d", item.Depth + 1), ("@dir", dir), ("@payload", scanPayload)));
            tx.Exec("INSERT INTO work_items (pass_id, kind, state, parent_id, depth, dir, payload) VALUES (@p, 'scan', 'ready', @f, @d, @dir, @payload)",
                ("@p", item.PassId), ("@f", finalize), ("@d", item.Depth + 1), ("@dir", dir), ("@payload", scanPayload));
            spawned++;
        }
        foreach (var (kind, payload, bytes) in outcome.Batches)
        {
            tx.Exec("INSERT INTO work_items (pass_id, kind, state, parent_id, depth, dir, payload, bytes) VALUES (@p, @k, 'ready', @parent, @d, @dir, @payload, @b)",
                ("@p", item.PassId), ("@k", LedgerNames.WorkKindName(kind)), ("@parent", item.ParentId), ("@d", item.Depth), ("@dir", item.Dir), ("@payload", payload), ("@b", bytes));
            spawned++;
        }
        foreach (var (assemble, ranges, bytes) in outcome.SplitFiles)
        {
            // The assemble item waits for its ranges as a finalize waits for what is below it; its bytes are the ranges'.
            long assembleId = Convert.ToInt64(tx.Scalar(
                "INSERT INTO work_items (pass_id, kind, state, parent_id, pending, depth, dir, payload) VALUES (@p, 'assemble', 'blocked', @parent, @n, @d, @dir, @payload) RETURNING id",
                ("@p", item.PassId), ("@parent", item.ParentId), ("@n", ranges.Count), ("@d", item.Depth), ("@dir", item.Dir), ("@payload", assemble)));
            foreach (var range in ranges)
                tx.Exec("INSERT INTO work_items (pass_id, kind, state, parent_id, depth, dir, payload, bytes) VALUES (@p, 'range', 'ready', @a, @d, @dir, @payload, @b)",
                    ("@p", item.PassId), ("@a", assembleId), ("@d", item.Depth), ("@dir", item.Dir), ("@payload", range), ("@b", bytes / ranges.Count));
            spawned++;
        }
        foreach (var (action, path, bytes) in outcome.Report)
            tx.Exec("INSERT INTO pass_report (pass_id, item_id, action, path, bytes) VALUES (@p, @i, @a, @path, @b)",
                ("@p", item.PassId), ("@i", item.Id), ("@a", action), ("@path", path), ("@b", bytes));
        if (spawned > 0)
        {
            if (item.ParentId is not { } parent) throw new InvalidOperationException("only a scan with a finalize parent spawns work");
            tx.Exec("UPDATE work_items SET pending = pending + @n WHERE id = @id", ("@n", spawned), ("@id", parent));
        }
        foreach (var f in outcome.Failures)
            tx.Exec("INSERT INTO failures (pass_id, item_id, path, operation, errno, message, at) VALUES (@p, @i, @path, @op, @e, @m, @now)",
                ("@p", item.PassId), ("@i", item.Id), ("@path", f.Path), ("@op", f.Operation), ("@e", f.Errno), ("@m", f.Message), ("@now", now));
        if (!outcome.Delta.IsZero) progress.Tally(item.PassId, outcome.Delta);
    }

    /// <summary>
    /// Progress tallied in one transaction, per pass: one progress row per pass and transaction, not one
    /// per item, written before the transaction commits (or the pass completes), so totals stay exact.
    /// </summary>
    private sealed class Progress
    {
        private readonly Dictionary<long, PassCounters> _deltas = [];

        public void Tally(long passId, PassCounters delta) => _deltas[passId] = _deltas.GetValueOrDefault(passId) + delta;

        /// <summary>Writes what was tallied (for one pass only, or all).</summary>
        public void Flush(ILedgerTransaction tx, long? onlyPass = null)
        {
            if (_deltas.Count == 0) return;
            long now = Now();
            foreach (var (passId, delta) in _deltas.ToList())
            {
                if (onlyPass is { } only && passId != only) continue;
                AppendProgress(tx, passId, delta, now);
                _deltas.Remove(passId);
            }
        }
    }

    private static void AddPlannedDeletes(ILedgerTransaction tx, long passId, long planned)
    {
        if (planned > 0) tx.Exec("UPDATE passes SET planned_deletes = planned_deletes + @n WHERE id = @id", ("@n", planned), ("@id", passId));
    }

    /// <summary>
    /// Checks planned removals against the pass's --max-delete (call <see cref="AddPlannedDeletes"/> once the item is accepted); past it the item is refused (and the pass
    /// is failed by the caller), so no removal beyond the limit is ever committed as work. Writes nothing; the pass's row stays
    /// locked to this transaction, so two nodes cannot both pass the check on the same remaining budget.
    /// </summary>
    private void CheckDeleteBudget(ILedgerTransaction tx, long passId, long planned)
    {
        if (Dialect.LockPass.Length > 0) tx.Exec(Dialect.LockPass, ("@id", passId));
        long total;
        string options;
        using (var r = tx.Rows("SELECT planned_deletes + @n, options FROM passes WHERE id = @id", ("@n", planned), ("@id", passId)))
        {
            r.Read();
            total = r.GetInt64(0);
            options = r.GetString(1);
        }
        if (PassOptions.FromJson(options).MaxDelete is { } max && total > max)
            throw new MaxDeleteExceededException(passId, total, max);
    }

    /// <summary>
    /// Marks a scan's finalize item done along with the scan, if the scan is all it waits for (nothing
    /// else was spawned below the directory, by this attempt or an earlier one). Returns its parent.
    /// </summary>
    private static (bool Done, long? Parent) FinishFinalizeWithScan(ILedgerTransaction tx, long finalizeId)
    {
        using var r = tx.Rows("UPDATE work_items SET state = 'done', pending = 0 WHERE id = @id AND kind = 'finalize' AND state = 'blocked' AND pending = 1 RETURNING parent_id",
            ("@id", finalizeId));
        if (!r.Read()) return (false, null);
        return (true, r.IsDBNull(0) ? null : r.GetInt64(0));
    }

    /// <summary>An item is finished: its parent has one fewer to wait for; without a parent, the pass is done.</summary>
    private static void Finish(ILedgerTransaction tx, Progress progress, long passId, long? parentId)
    {
        if (parentId is { } parent)
        {
            tx.Exec("""
                UPDATE work_items SET pending = pending - 1, state = CASE WHEN pending = 1 AND state = 'blocked' THEN 'ready' ELSE state END
                 WHERE id = @id
                """, ("@id", parent));
            return;
        }
        progress.Flush(tx, passId); // its last progress goes with it
        SetStatus(tx, passId, PassStatus.Completed, Now());
        // The work of a finished pass is history: its counts live on in its progress rows.
        tx.Exec("DELETE FROM work_items WHERE pass_id = @id", ("@id", passId));
        tx.Exec("DELETE FROM inodes WHERE pass_id = @id", ("@id", passId));
    }

    public void Release(string nodeId, IEnumerable<long> itemIds)
    {
        Write(tx =>
        {
            foreach (long id in itemIds)
                tx.Exec("""
                    UPDATE work_items SET state = 'ready', lease_owner = NULL, lease_expires = NULL,
                           attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END
                     WHERE id = @id AND state = 'leased' AND lease_owner = @node
                    """, ("@id", id), ("@node", nodeId));
            tx.Commit();
        });
    }

    public IReadOnlyList<long> RenewLeases(string nodeId, IReadOnlyCollection<long> itemIds, TimeSpan lease)
    {
        if (itemIds.Count == 0) return [];
        return Write(tx =>
        {
            long expires = Now() + (long)lease.TotalMilliseconds;
            // An item this node has just finished is no longer leased either: its completion is committed
            // and only the news of it has not reached the renewer yet. It is not lost.
            var lost = itemIds.Where(id => tx.Exec("UPDATE work_items SET lease_expires = @exp WHERE id = @id AND lease_owner = @node AND state = 'leased'",
                    ("@exp", expires), ("@id", id), ("@node", nodeId)) == 0
                && tx.Scalar("SELECT 1 FROM work_items WHERE id = @id AND state = 'done' AND done_by = @node", ("@id", id), ("@node", nodeId)) is null)
                .ToList();
            tx.Commit();
            return lost;
        });
    }

    public int ReclaimExpired(int maxAttempts)
    {
        return Write(tx =>
        {
            int n = ReturnOrFail(tx, "state = 'leased' AND lease_expires < @now", maxAttempts, ("@now", Now()));
            tx.Commit();
            return n;
        });
    }

    /// <summary>
    /// Deletes up to <paramref name="max"/> finished work items of running passes, in one transaction:
    /// done items of every kind but finalize, and done finalize items nothing refers to any more. The
    /// rows of a pass of 10^8 files go as it runs, a batch at a time, not in one transaction at its end.
    /// Rows another node is deleting are skipped (PostgreSQL), not waited for.
    /// </summary>
    public int CleanFinished(int max)
    {
        return Write(tx =>
        {
            int n = tx.Exec($"""
                DELETE FROM work_items WHERE id IN (
                  SELECT id FROM work_items WHERE state = 'done' AND kind <> 'finalize' LIMIT @max{Dialect.LockRows})
                """, ("@max", max));
            if (n < max)
                n += tx.Exec($"""
                    DELETE FROM work_items WHERE id IN (
                      SELECT f.id FROM work_items f
                       WHERE f.state = 'done' AND f.kind = 'finalize'
                         AND NOT EXISTS (SELECT 1 FROM work_items c WHERE c.parent_id = f.id)
                       LIMIT @max{Dialect.LockRows})
                    """, ("@max", max - n));
            tx.Commit();
            return n;
        });
    }

    public int ReleaseDeadLocalNodes(string host, Func<int, long, bool> isAlive)
    {
        return Write(tx =>
        {
            var dead = new List<string>();
            using (var r = tx.Rows("SELECT id, pid, process_start FROM nodes WHERE host = @h", ("@h", host)))
                while (r.Read())
                    if (!isAlive(r.GetInt32(1), r.GetInt64(2))) dead.Add(r.GetString(0));
            int released = 0;
            foreach (var node in dead)
            {
                released += ReturnOrFail(tx, "state = 'leased' AND lease_owner = @node", 5, ("@node", node));
                tx.Exec("DELETE FROM nodes WHERE id = @id", ("@id", node));
            }
            tx.Commit();
            return released;
        });
    }

    /// <summary>
    /// Makes the leased items matching <paramref name="where"/> ready again, or fails those tried
    /// <paramref name="maxAttempts"/> times. Either way their passes sweep temporaries at finalize.
    /// </summary>
    private int ReturnOrFail(ILedgerTransaction tx, string where, int maxAttempts, params (string, object?)[] args)
    {
        var items = new List<(long Id, long Pass, long? Parent, int Attempts, byte[] Dir, string Kind)>();
        // Locked: two nodes reclaiming at once must not both return (or fail) the same item.
        using (var r = tx.Rows($"SELECT id, pass_id, parent_id, attempts, dir, kind FROM work_items WHERE {where}{Dialect.LockRows}", args))
            while (r.Read())
                items.Add((r.GetInt64(0), r.GetInt64(1), r.IsDBNull(2) ? null : r.GetInt64(2), r.GetInt32(3), r.GetBlob(4), r.GetString(5)));
        long now = Now();
        var progress = new Progress();
        foreach (var it in items)
        {
            tx.Exec("UPDATE passes SET sweep_temporaries = 1 WHERE id = @id", ("@id", it.Pass));
            if (it.Attempts < maxAttempts)
            {
                tx.Exec("UPDATE work_items SET state = 'ready', lease_owner = NULL, lease_expires = NULL WHERE id = @id", ("@id", it.Id));
                continue;
            }
            tx.Exec("UPDATE work_items SET state = 'failed', lease_owner = NULL, lease_expires = NULL WHERE id = @id", ("@id", it.Id));
            tx.Exec("INSERT INTO failures (pass_id, item_id, path, operation, errno, message, at) VALUES (@p, @i, @path, @op, 0, @m, @now)",
                ("@p", it.Pass), ("@i", it.Id), ("@path", it.Dir), ("@op", it.Kind),
                ("@m", $"gave up after {it.Attempts} attempts: the node working on it stopped each time"), ("@now", now));
            progress.Tally(it.Pass, new PassCounters { Failed = 1 });
            Finish(tx, progress, it.Pass, it.Parent);
        }
        progress.Flush(tx);
        return items.Count;
    }

    public byte[] ClaimInode(long passId, ulong dev, ulong ino, byte[] path)
    {
        return Write(tx =>
        {
            tx.Exec("INSERT INTO inodes (pass_id, dev, ino, leader) VALUES (@p, @d, @i, @l) ON CONFLICT DO NOTHING",
                ("@p", passId), ("@d", unchecked((long)dev)), ("@i", unchecked((long)ino)), ("@l", path));
            var leader = (byte[])tx.Scalar("SELECT leader FROM inodes WHERE pass_id = @p AND dev = @d AND ino = @i",
                ("@p", passId), ("@d", unchecked((long)dev)), ("@i", unchecked((long)ino)))!;
            tx.Commit();
            return leader;
        });
    }

    // ---- progress, totals, failures -----------------------------------------------------------

    private static void AppendProgress(ILedgerTransaction tx, long passId, PassCounters d, long at) =>
        tx.Exec("""
            INSERT INTO pass_events (pass_id, type, at, entries_seen, files_copied, bytes_copied, skipped_equal, metadata_fixed, hard_links, failed, deleted, differences)
            VALUES (@p, 'Progressed', @at, @e, @fc, @b, @s, @m, @h, @f, @del, @diff)
            """, ("@p", passId), ("@at", at), ("@e", d.EntriesSeen), ("@fc", d.FilesCopied),
            ("@b", d.BytesCopied), ("@s", d.SkippedEqual), ("@m", d.MetadataFixed), ("@h", d.HardLinks), ("@f", d.Failed),
            ("@del", d.Deleted), ("@diff", d.Differences));

    public IReadOnlyList<PassEvent> EventsSince(long passId, long afterEventId, int limit)
    {
        return Read(s =>
        {
            return EventsAfter(s, passId, afterEventId, limit);
        });
    }

    private static List<PassEvent> EventsAfter(ILedgerSession s, long passId, long afterEventId, int limit)
    {
        using var r = s.Rows("""
            SELECT id, type, at, entries_seen, files_copied, bytes_copied, skipped_equal, metadata_fixed, hard_links, failed, detail, deleted, differences
              FROM pass_events WHERE pass_id = @p AND id > @after ORDER BY id LIMIT @limit
            """, ("@p", passId), ("@after", afterEventId), ("@limit", limit));
        var list = new List<PassEvent>();
        while (r.Read())
            list.Add(new PassEvent(r.GetInt64(0), passId, LedgerNames.ParseEvent(r.GetString(1)),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)),
                new PassCounters(r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9),
                    r.GetInt64(11), r.GetInt64(12)),
                r.IsDBNull(10) ? null : r.GetString(10)));
        return list;
    }

    /// <summary>The newest snapshot of a pass's totals: up to which progress row, and their sum.</summary>
    private static (long LastEventId, PassCounters Totals) LoadTotals(ILedgerSession s, long passId)
    {
        using var r = s.Rows("""
            SELECT last_event_id, entries_seen, files_copied, bytes_copied, skipped_equal, metadata_fixed, hard_links, failed, deleted, differences
              FROM pass_snapshots WHERE pass_id = @p
            """, ("@p", passId));
        if (!r.Read()) return (0, default);
        return (r.GetInt64(0), new PassCounters(r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6),
            r.GetInt64(7), r.GetInt64(8), r.GetInt64(9)));
    }

    private static void SaveTotals(ILedgerSession s, long passId, long lastEventId, PassCounters t) =>
        s.Exec("""
            INSERT INTO pass_snapshots (pass_id, last_event_id, state, entries_seen, files_copied, bytes_copied, skipped_equal, metadata_fixed,
                                        hard_links, failed, active_ms, deleted, differences)
            VALUES (@p, @l, 'totals', @e, @fc, @b, @sk, @m, @h, @f, 0, @del, @diff)
            ON CONFLICT (pass_id) DO UPDATE SET
                last_event_id = excluded.last_event_id, entries_seen = excluded.entries_seen,
                files_copied = excluded.files_copied, bytes_copied = excluded.bytes_copied, skipped_equal = excluded.skipped_equal,
                metadata_fixed = excluded.metadata_fixed, hard_links = excluded.hard_links, failed = excluded.failed,
                deleted = excluded.deleted, differences = excluded.differences
             WHERE excluded.last_event_id > pass_snapshots.last_event_id
            """, ("@p", passId), ("@l", lastEventId), ("@e", t.EntriesSeen), ("@fc", t.FilesCopied), ("@b", t.BytesCopied),
            ("@sk", t.SkippedEqual), ("@m", t.MetadataFixed), ("@h", t.HardLinks), ("@f", t.Failed), ("@del", t.Deleted), ("@diff", t.Differences));

    public IReadOnlyList<FailureRow> Failures(long passId, long afterId, int limit)
    {
        return Read(s =>
        {
            using var r = s.Rows("SELECT id, path, operation, errno, message, at FROM failures WHERE pass_id = @p AND id > @after ORDER BY id LIMIT @limit",
                ("@p", passId), ("@after", afterId), ("@limit", limit));
            var list = new List<FailureRow>();
            while (r.Read())
                list.Add(new FailureRow(r.GetInt64(0), passId, r.GetBlob(1), r.GetString(2), r.GetInt32(3), r.GetString(4),
                    DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5))));
            return list;
        });
    }

    public IReadOnlyList<(long Id, string Action, byte[] Path, long Bytes)> Report(long passId, long afterId, int limit)
    {
        return Read(s =>
        {
            using var r = s.Rows("SELECT id, action, path, bytes FROM pass_report WHERE pass_id = @p AND id > @after ORDER BY id LIMIT @limit",
                ("@p", passId), ("@after", afterId), ("@limit", limit));
            var list = new List<(long, string, byte[], long)>();
            while (r.Read()) list.Add((r.GetInt64(0), r.GetString(1), r.GetBlob(2), r.GetInt64(3)));
            return list;
        });
    }

    public DateTimeOffset? LastActivity(long passId)
    {
        return Read(s =>
        {
            var at = s.Scalar($"""
                SELECT {Dialect.Greatest}(COALESCE((SELECT at FROM pass_events WHERE pass_id = @p ORDER BY id DESC LIMIT 1), 0),
                           COALESCE(running_since, 0), created_at)
                  FROM passes WHERE id = @p
                """, ("@p", passId));
            return at is null ? (DateTimeOffset?)null : DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(at));
        });
    }

    public (long Bytes, bool Scanning) RemainingWork(long passId)
    {
        return Read(s =>
        {
            using var r = s.Rows("""
                SELECT CAST(COALESCE(SUM(CASE WHEN kind = 'copy' THEN bytes ELSE 0 END), 0) AS BIGINT),
                       CAST(COALESCE(SUM(CASE WHEN kind = 'scan' THEN 1 ELSE 0 END), 0) AS BIGINT)
                  FROM work_items WHERE pass_id = @p AND state NOT IN ('done', 'failed')
                """, ("@p", passId));
            r.Read();
            return (r.GetInt64(0), r.GetInt64(1) > 0);
        });
    }

    // ---- nodes --------------------------------------------------------------------------------

    public void RegisterNode(NodeInfo node)
    {
        Read(s =>
        {
            s.Exec("""
                INSERT INTO nodes (id, host, pid, process_start, version, started_at, heartbeat_at, state, address)
                VALUES (@id, @h, @pid, @ps, @v, @s, @hb, @st, @a)
                ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, process_start = excluded.process_start,
                    version = excluded.version, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at,
                    state = excluded.state, address = excluded.address
                """, ("@id", node.Id), ("@h", node.Host), ("@pid", node.Pid), ("@ps", node.ProcessStart), ("@v", node.Version),
                ("@s", node.StartedAt.ToUnixTimeMilliseconds()), ("@hb", node.HeartbeatAt.ToUnixTimeMilliseconds()), ("@st", node.State), ("@a", node.Address));
        });
    }

    public void HeartbeatNode(string nodeId, string state, long inFlight = 0, double itemsPerSecond = 0, double bytesPerSecond = 0)
    {
        Read(s =>
        {
            s.Exec("UPDATE nodes SET heartbeat_at = @t, state = @s, in_flight = @f, items_per_s = @ir, bytes_per_s = @br WHERE id = @id",
                ("@t", Now()), ("@s", state), ("@f", inFlight), ("@ir", itemsPerSecond), ("@br", bytesPerSecond), ("@id", nodeId));
        });
    }

    public void DeregisterNode(string nodeId)
    {
        Read(s =>
        {
            s.Exec("DELETE FROM nodes WHERE id = @id", ("@id", nodeId));
        });
    }

    public IReadOnlyList<NodeInfo> ListNodes()
    {
        return Read(s =>
        {
            using var r = s.Rows("SELECT id, host, pid, process_start, version, started_at, heartbeat_at, state, address, in_flight, items_per_s, bytes_per_s FROM nodes ORDER BY id");
            var list = new List<NodeInfo>();
            while (r.Read())
                list.Add(new NodeInfo(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetInt64(3), r.GetString(4),
                    DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)), r.GetString(7),
                    r.IsDBNull(8) ? null : r.GetString(8), r.GetInt64(9), r.GetDouble(10), r.GetDouble(11)));
            return list;
        });
    }

    /// <summary>
    /// Gives back, at once, the items of the nodes at a cluster address that left the cluster (downed,
    /// removed): they are ready again (or failed, if tried too often), and the nodes are forgotten.
    /// Any node may do it, more than one at once: each item goes back once.
    /// </summary>
    public int ReleaseNodesAt(string address)
    {
        return Write(tx =>
        {
            var gone = new List<string>();
            using (var r = tx.Rows("SELECT id FROM nodes WHERE address = @a", ("@a", address)))
                while (r.Read()) gone.Add(r.GetString(0));
            int released = 0;
            foreach (var node in gone)
            {
                released += ReturnOrFail(tx, "state = 'leased' AND lease_owner = @node", 5, ("@node", node));
                tx.Exec("DELETE FROM nodes WHERE id = @id", ("@id", node));
            }
            tx.Commit();
            return released;
        });
    }

    public void Dispose() => Store.Dispose();
}
