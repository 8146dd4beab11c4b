using Pdm.Ledger.Sqlite;

namespace Pdm.Ledger;

/// <summary>
/// The embedded ledger: one SQLite file in WAL mode. Within a process one connection serves all
/// threads under a lock (SQLite has one writer anyway); several processes on one machine may share
/// the file, and wait for each other's transactions through the busy timeout.
/// </summary>
public sealed class SqliteLedger : ILedger
{
    private readonly SqliteDatabase _db;
    private readonly Lock _gate = new();

    // Progress of the transaction under way, per pass: one event per pass and transaction, not one per
    // item, written before the transaction commits (or the pass's Completed event), so counts stay exact.
    private readonly Dictionary<long, PassCounters> _progress = [];

    public string Path { get; }

    private SqliteLedger(string path, SqliteDatabase db)
    {
        Path = path;
        _db = db;
    }

    /// <summary>Opens (creating if needed) the ledger at <paramref name="path"/> and migrates it.</summary>
    public static SqliteLedger Open(string path)
    {
        SqliteDatabase? db = null;
        try
        {
            db = SqliteDatabase.Open(path, busyTimeout: TimeSpan.FromSeconds(60));
            db.Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
            var ledger = new SqliteLedger(path, db);
            ledger.Migrate();
            return ledger;
        }
        catch (SqliteError e)
        {
            db?.Dispose();
            throw new LedgerUnavailableException($"cannot open ledger {path}: {e.Message}", e);
        }
    }

    public int SchemaVersion
    {
        get { lock (_gate) return Convert.ToInt32(Scalar(null, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations")); }
    }

    private void Migrate()
    {
        lock (_gate)
        {
            _db.Execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
            // Rebuilding a table (the only way to change a CHECK) must not trip foreign keys half-way;
            // they are checked whole once the migrations are in.
            _db.Execute("PRAGMA foreign_keys = OFF");
            foreach (var (version, sql) in SqliteSchema.Migrations)
            {
                using var tx = _db.BeginTransaction();
                if (Convert.ToInt64(Scalar(tx, "SELECT COUNT(*) FROM schema_migrations WHERE version = $v", ("$v", version))) > 0)
                    continue;
                _db.Execute(sql);
                Exec(tx, "INSERT INTO schema_migrations (version, applied_at) VALUES ($v, $t)", ("$v", version), ("$t", Now()));
                tx.Commit();
            }
            _db.Execute("PRAGMA foreign_keys = ON");
            using (var r = _db.Statement("PRAGMA foreign_key_check").Bind().Rows())
            {
                if (r.Read()) throw new LedgerUnavailableException($"ledger {Path} fails its foreign key check (table {r.GetString(0)}) after migrating");
            }
            long newest = Convert.ToInt64(Scalar(null, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
            if (newest > SqliteSchema.LatestVersion)
                throw new LedgerUnavailableException($"ledger {Path} has schema version {newest}, newer than this pdm understands ({SqliteSchema.LatestVersion})");
        }
    }

    // ---- passes -------------------------------------------------------------------------------

    public long CreatePass(PassKind kind, byte[] source, byte[] target, PassOptions options)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            long now = Now();
            // A target left half-done by an earlier pass may hold its temporaries: sweep them.
            bool sweep = Convert.ToInt64(Scalar(tx,
                "SELECT COUNT(*) FROM passes WHERE target = $t AND state NOT IN ('completed')", ("$t", target))) > 0;
            long passId = Convert.ToInt64(Scalar(tx,
                "INSERT INTO passes (kind, source, target, options, state, sweep_temporaries, created_at) VALUES ($k, $s, $t, $o, 'queued', $w, $now) RETURNING id",
                ("$k", LedgerNames.KindName(kind)), ("$s", source), ("$t", target), ("$o", options.ToJson()), ("$w", sweep ? 1 : 0), ("$now", now)));
            long finalize = Convert.ToInt64(Scalar(tx,
                "INSERT INTO work_items (pass_id, kind, state, parent_id, pending, depth, dir) VALUES ($p, 'finalize', 'blocked', NULL, 1, 0, X'') RETURNING id",
                ("$p", passId)));
            Exec(tx, "INSERT INTO work_items (pass_id, kind, state, parent_id, depth, dir) VALUES ($p, 'scan', 'ready', $f, 0, X'')",
                ("$p", passId), ("$f", finalize));
            tx.Commit();
            return passId;
        }
    }

    public PassInfo? GetPass(long passId)
    {
        lock (_gate) return ReadPasses(null, "WHERE id = $id", ("$id", passId)).FirstOrDefault();
    }

    public IReadOnlyList<PassInfo> ListPasses()
    {
        lock (_gate) return ReadPasses(null, "");
    }

    public PassInfo? FindUnfinishedPass(PassKind kind, byte[] source, byte[] target, PassOptions options)
    {
        lock (_gate)
            return ReadPasses(null,
                "WHERE kind = $k AND source = $s AND target = $t AND options = $o AND state IN ('queued','running','paused','interrupted') ORDER BY id DESC LIMIT 1",
                ("$k", LedgerNames.KindName(kind)), ("$s", source), ("$t", target), ("$o", options.ToJson())).FirstOrDefault();
    }

    private List<PassInfo> ReadPasses(SqliteTransaction? tx, string where, params (string, object?)[] args)
    {
        var cmd = Command(tx, $"SELECT id, kind, source, target, state, sweep_temporaries, created_at, options FROM passes {where}", args);
        using var r = cmd.Rows();
        var list = new List<PassInfo>();
        while (r.Read())
            list.Add(new PassInfo(r.GetInt64(0), LedgerNames.ParseKind(r.GetString(1)), r.GetBlob(2), r.GetBlob(3), LedgerNames.ParseStatus(r.GetString(4)),
                r.GetInt64(5) != 0, DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)), PassOptions.FromJson(r.GetString(7))));
        return list;
    }

    public bool SetPassStatus(long passId, PassStatus status)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            if (!SetStatus(tx, passId, status, Now())) return false;
            tx.Commit();
            return true;
        }
    }

    /// <summary>
    /// Moves a pass to <paramref name="status"/> and keeps its times: when it first ran, since when it
    /// runs, how long it ran before, when it ended. A pass that ended stays ended: a late Ctrl-C or a
    /// second cancel changes nothing (false). SQLite reads every column's old value in the SET list.
    /// </summary>
    private bool SetStatus(SqliteTransaction tx, long passId, PassStatus status, long now)
    {
        bool running = status == PassStatus.Running;
        bool ends = status is PassStatus.Completed or PassStatus.Failed or PassStatus.Cancelled;
        return Exec(tx, """
            UPDATE passes SET
                state = $s,
                started_at = CASE WHEN $running THEN COALESCE(started_at, $now) ELSE started_at END,
                running_since = CASE WHEN $running THEN COALESCE(running_since, $now) ELSE NULL END,
                active_ms = CASE WHEN NOT $running AND running_since IS NOT NULL THEN active_ms + MAX(0, $now - running_since) ELSE active_ms END,
                ended_at = CASE WHEN $ends THEN $now ELSE ended_at END
             WHERE id = $id AND state NOT IN ('completed', 'failed', 'cancelled')
            """, ("$s", LedgerNames.StatusName(status)), ("$running", running ? 1 : 0), ("$ends", ends ? 1 : 0), ("$now", now), ("$id", passId)) == 1;
    }

    public PassState? GetPassState(long passId)
    {
        lock (_gate)
        {
            var cmd = Command(null, "SELECT state, created_at, started_at, ended_at, active_ms, running_since, journaled FROM passes WHERE id = $id",
                ("$id", passId));
            PassState state;
            using (var r = cmd.Rows())
            {
                if (!r.Read()) return null;
                DateTimeOffset? T(int i) => r.IsDBNull(i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));
                state = new PassState(passId, LedgerNames.ParseStatus(r.GetString(0)), default, T(1), T(2), T(3),
                    TimeSpan.FromMilliseconds(r.GetInt64(4)), T(5), r.IsDBNull(6) ? null : LedgerNames.ParseStatus(r.GetString(6)));
            }
            return state with { Counters = Totals(passId) };
        }
    }

    /// <summary>
    /// The pass's exact totals: the sum of its progress rows, read from the newest snapshot of that sum
    /// on, and snapshotted again when many rows were added since, so no reader sums a whole pass.
    /// Callers hold <see cref="_gate"/>.
    /// </summary>
    private PassCounters Totals(long passId)
    {
        const int SnapshotEvery = 1000;
        var (lastEventId, totals) = LoadTotals(passId);
        int added = 0;
        while (true)
        {
            var events = EventsAfter(passId, lastEventId, 10_000);
            if (events.Count == 0) break;
            foreach (var e in events) totals += e.Delta;
            lastEventId = events[^1].Id;
            added += events.Count;
        }
        if (added >= SnapshotEvery) SaveTotals(passId, lastEventId, totals);
        return totals;
    }

    public IReadOnlyList<long> PassesToReconcile(int max)
    {
        lock (_gate)
        {
            var cmd = Command(null, "SELECT id FROM passes WHERE state <> 'queued' AND (journaled IS NULL OR journaled <> state) ORDER BY id DESC LIMIT $max",
                ("$max", max));
            using var r = cmd.Rows();
            var list = new List<long>();
            while (r.Read()) list.Add(r.GetInt64(0));
            return list;
        }
    }

    public void SetJournaled(long passId, PassStatus status)
    {
        lock (_gate) Exec(null, "UPDATE passes SET journaled = $s WHERE id = $id", ("$s", LedgerNames.StatusName(status)), ("$id", passId));
    }

    public void Request(long passId, PassRequest request)
    {
        lock (_gate)
            Exec(null, "INSERT INTO pass_requests (pass_id, command, at) VALUES ($p, $c, $t)",
                ("$p", passId), ("$c", LedgerNames.RequestName(request)), ("$t", Now()));
    }

    public IReadOnlyList<PassRequest> TakeRequests(long passId)
    {
        lock (_gate)
        {
            // Looked at every tick of every coordinator: a read, and a write only when there is something to take.
            var taken = new List<(long Id, PassRequest Request)>();
            using (var r = Command(null, "SELECT id, command FROM pass_requests WHERE pass_id = $p ORDER BY id", ("$p", passId)).Rows())
                while (r.Read()) taken.Add((r.GetInt64(0), LedgerNames.ParseRequest(r.GetString(1))));
            if (taken.Count == 0) return [];
            using var tx = _db.BeginTransaction();
            foreach (var (id, _) in taken) Exec(tx, "DELETE FROM pass_requests WHERE id = $id", ("$id", id));
            tx.Commit();
            return taken.Select(t => t.Request).ToList();
        }
    }

    // ---- work items ---------------------------------------------------------------------------

    public IReadOnlyList<WorkItem> Claim(string nodeId, int max, TimeSpan lease, long? passId = null)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            // A link item waits until every scan and copy of its pass is done, so that the leader
            // of each hardlinked inode has been copied (or has failed) before followers link to it.
            var cmd = Command(tx, """
                UPDATE work_items
                   SET state = 'leased', lease_owner = $node, lease_expires = $exp, attempts = attempts + 1
                 WHERE id IN (
                       SELECT w.id FROM work_items w JOIN passes p ON p.id = w.pass_id
                        WHERE w.state = 'ready' AND p.state = 'running' AND ($pass IS NULL OR w.pass_id = $pass)
                          AND (w.kind <> 'link' OR NOT EXISTS (
                                SELECT 1 FROM work_items x
                                 WHERE x.pass_id = w.pass_id AND x.kind IN ('scan', 'copy') AND x.state NOT IN ('done', 'failed')))
                        ORDER BY w.id LIMIT $max)
                RETURNING id, pass_id, kind, parent_id, depth, dir, payload, cursor, attempts, scan_failed
                """, ("$node", nodeId), ("$exp", Now() + (long)lease.TotalMilliseconds), ("$pass", passId), ("$max", max));
            var items = new List<WorkItem>();
            using (var r = cmd.Rows())
                while (r.Read())
                    items.Add(new WorkItem(r.GetInt64(0), r.GetInt64(1), LedgerNames.ParseWorkKind(r.GetString(2)),
                        r.IsDBNull(3) ? null : r.GetInt64(3), r.GetInt32(4), r.GetBlob(5), r.IsDBNull(6) ? null : r.GetBlob(6),
                        r.GetInt64(7), r.GetInt32(8), ScanFailed: r.GetInt64(9) != 0));
            foreach (var claimedPass in items.Select(i => i.PassId).Distinct().ToList())
            {
                if (Convert.ToInt64(Scalar(tx, "SELECT sweep_temporaries FROM passes WHERE id = $id", ("$id", claimedPass))) == 0) continue;
                for (int i = 0; i < items.Count; i++)
                    if (items[i].PassId == claimedPass) items[i] = items[i] with { SweepTemporaries = true };
            }
            tx.Commit();
            items.Sort((a, b) => a.Id.CompareTo(b.Id));
            return items;
        }
    }

    public void Checkpoint(string nodeId, WorkItem item, ItemOutcome outcome, TimeSpan lease)
    {
        if (outcome.Cursor is not { } cursor) throw new ArgumentException("a checkpoint needs a cursor", nameof(outcome));
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            if (outcome.PlannedDeletes > 0) CheckDeleteBudget(tx, item.PassId, outcome.PlannedDeletes);
            int n = Exec(tx,
                "UPDATE work_items SET cursor = $c, lease_expires = $exp WHERE id = $id AND state = 'leased' AND lease_owner = $node",
                ("$c", cursor), ("$exp", Now() + (long)lease.TotalMilliseconds), ("$id", item.Id), ("$node", nodeId));
            if (n != 1) throw new LeaseLostException(item.Id);
            AddPlannedDeletes(tx, item.PassId, outcome.PlannedDeletes);
            WithProgress(tx, () => Record(tx, item, outcome));
            tx.Commit();
        }
    }

    public void Complete(string nodeId, WorkItem item, ItemOutcome outcome)
    {
        if (CompleteMany(nodeId, [(item, outcome)])[0] is { } refused) throw refused;
    }

    public IReadOnlyList<Exception?> CompleteMany(string nodeId, IReadOnlyList<(WorkItem Item, ItemOutcome Outcome)> completions)
    {
        lock (_gate)
        {
            var results = new Exception?[completions.Count];
            using var tx = _db.BeginTransaction();
            WithProgress(tx, () =>
            {
                for (int i = 0; i < completions.Count; i++)
                {
                    // A refused item throws before it writes anything: it does not undo the others.
                    var (item, outcome) = completions[i];
                    try { CompleteOne(tx, nodeId, item, outcome); }
                    catch (Exception e) when (e is LeaseLostException or MaxDeleteExceededException) { results[i] = e; }
                }
            });
            tx.Commit();
            return results;
        }
    }

    /// <summary>Finishes one item, or refuses it (lease lost, --max-delete) before writing anything.</summary>
    private void CompleteOne(SqliteTransaction tx, string nodeId, WorkItem item, ItemOutcome outcome)
    {
        if (outcome.PlannedDeletes > 0) CheckDeleteBudget(tx, item.PassId, outcome.PlannedDeletes);
        int n = Exec(tx,
            "UPDATE work_items SET state = 'done', lease_owner = NULL, lease_expires = NULL WHERE id = $id AND state = 'leased' AND lease_owner = $node",
            ("$id", item.Id), ("$node", nodeId));
        if (n != 1) throw new LeaseLostException(item.Id);
        AddPlannedDeletes(tx, item.PassId, outcome.PlannedDeletes);
        Record(tx, item, outcome);
        if (outcome.DirectoryFailed && item.Kind == WorkKind.Scan && item.ParentId is { } finalizeItem)
            Exec(tx, "UPDATE work_items SET scan_failed = 1 WHERE id = $id", ("$id", finalizeItem));
        if (outcome.FinalizedDirectory && item.ParentId is { } finalize && FinishFinalizeWithScan(tx, finalize) is var (done, grandparent) && done)
            Finish(tx, item.PassId, grandparent);
        else
            Finish(tx, item.PassId, item.ParentId);
    }

    /// <summary>Inserts what an item spawned and its failures, and tallies its progress.</summary>
    private void Record(SqliteTransaction tx, WorkItem item, ItemOutcome outcome)
    {
        long now = Now();
        int spawned = 0;
        foreach (var (name, mode) in outcome.Subdirectories)
        {
            byte[] dir = Native.ByteNames.Join(item.Dir, name);
            byte[]? scanPayload = mode == ScanMode.Normal ? null : [(byte)mode];
            long finalize = Convert.ToInt64(Scalar(tx,
                "INSERT INTO work_items (pass_id, kind, state, parent_id, pending, depth, dir, payload) VALUES ($p, 'finalize', 'blocked', $parent, 1, $d, $dir, $payload) RETURNING id",
                ("$p", item.PassId), ("$parent", item.ParentId), ("$d", item.Depth + 1), ("$dir", dir), ("$payload", scanPayload)));
            Exec(tx, "INSERT INTO work_items (pass_id, kind, state, parent_id, depth, dir, payload) VALUES ($p, 'scan', 'ready', $f, $d, $dir, $payload)",
                ("$p", item.PassId), ("$f", finalize), ("$d", item.Depth + 1), ("$dir", dir), ("$payload", scanPayload));
            spawned++;
        }
        foreach (var (kind, payload, bytes) in outcome.Batches)
        {
            Exec(tx, "INSERT INTO work_items (pass_id, kind, state, parent_id, depth, dir, payload, bytes) VALUES ($p, $k, 'ready', $parent, $d, $dir, $payload, $b)",
                ("$p", item.PassId), ("$k", LedgerNames.WorkKindName(kind)), ("$parent", item.ParentId), ("$d", item.Depth), ("$dir", item.Dir), ("$payload", payload), ("$b", bytes));
            spawned++;
        }
        foreach (var (action, path, bytes) in outcome.Report)
            Exec(tx, "INSERT INTO pass_report (pass_id, item_id, action, path, bytes) VALUES ($p, $i, $a, $path, $b)",
                ("$p", item.PassId), ("$i", item.Id), ("$a", action), ("$path", path), ("$b", bytes));
        if (spawned > 0)
        {
            if (item.ParentId is not { } parent) throw new InvalidOperationException("only a scan with a finalize parent spawns work");
            Exec(tx, "UPDATE work_items SET pending = pending + $n WHERE id = $id", ("$n", spawned), ("$id", parent));
        }
        foreach (var f in outcome.Failures)
            Exec(tx, "INSERT INTO failures (pass_id, item_id, path, operation, errno, message, at) VALUES ($p, $i, $path, $op, $e, $m, $now)",
                ("$p", item.PassId), ("$i", item.Id), ("$path", f.Path), ("$op", f.Operation), ("$e", f.Errno), ("$m", f.Message), ("$now", now));
        if (!outcome.Delta.IsZero) Tally(item.PassId, outcome.Delta);
    }

    /// <summary>
    /// Runs <paramref name="body"/>, which tallies progress, then writes the tally into the transaction
    /// before it commits. However the body ends, no tally is left for the next transaction.
    /// </summary>
    private void WithProgress(SqliteTransaction tx, Action body)
    {
        try
        {
            body();
            FlushProgress(tx);
        }
        finally
        {
            _progress.Clear();
        }
    }

    private void Tally(long passId, PassCounters delta) =>
        _progress[passId] = _progress.GetValueOrDefault(passId) + delta;

    /// <summary>Writes the progress tallied in this transaction, one event per pass.</summary>
    private void FlushProgress(SqliteTransaction tx, long? onlyPass = null)
    {
        if (_progress.Count == 0) return;
        long now = Now();
        foreach (var (passId, delta) in _progress.ToList())
        {
            if (onlyPass is { } only && passId != only) continue;
            AppendProgress(tx, passId, delta, now);
            _progress.Remove(passId);
        }
    }

    private void AddPlannedDeletes(SqliteTransaction tx, long passId, long planned)
    {
        if (planned > 0) Exec(tx, "UPDATE passes SET planned_deletes = planned_deletes + $n WHERE id = $id", ("$n", planned), ("$id", passId));
    }

    /// <summary>
    /// Checks planned removals against the pass's --max-delete (call <see cref="AddPlannedDeletes"/> once the item is accepted); past it the item is refused (and the pass
    /// is failed by the caller), so no removal beyond the limit is ever committed as work. Writes nothing.
    /// </summary>
    private void CheckDeleteBudget(SqliteTransaction tx, long passId, long planned)
    {
        var cmd = Command(tx, "SELECT planned_deletes + $n, options FROM passes WHERE id = $id",
            ("$n", planned), ("$id", passId));
        long total;
        string options;
        using (var r = cmd.Rows())
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
    private (bool Done, long? Parent) FinishFinalizeWithScan(SqliteTransaction tx, long finalizeId)
    {
        var cmd = Command(tx, "UPDATE work_items SET state = 'done', pending = 0 WHERE id = $id AND kind = 'finalize' AND state = 'blocked' AND pending = 1 RETURNING parent_id",
            ("$id", finalizeId));
        using var r = cmd.Rows();
        if (!r.Read()) return (false, null);
        return (true, r.IsDBNull(0) ? null : r.GetInt64(0));
    }

    /// <summary>An item is finished: its parent has one fewer to wait for; without a parent, the pass is done.</summary>
    private void Finish(SqliteTransaction tx, long passId, long? parentId)
    {
        if (parentId is { } parent)
        {
            Exec(tx, """
                UPDATE work_items SET pending = pending - 1, state = CASE WHEN pending = 1 AND state = 'blocked' THEN 'ready' ELSE state END
                 WHERE id = $id
                """, ("$id", parent));
            return;
        }
        FlushProgress(tx, passId); // its last progress goes with it
        SetStatus(tx, passId, PassStatus.Completed, Now());
        // The work of a finished pass is history: its counts live on in its progress rows.
        Exec(tx, "DELETE FROM work_items WHERE pass_id = $id", ("$id", passId));
        Exec(tx, "DELETE FROM inodes WHERE pass_id = $id", ("$id", passId));
    }

    public void Release(string nodeId, IEnumerable<long> itemIds)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            foreach (long id in itemIds)
                Exec(tx, """
                    UPDATE work_items SET state = 'ready', lease_owner = NULL, lease_expires = NULL, attempts = MAX(attempts - 1, 0)
                     WHERE id = $id AND state = 'leased' AND lease_owner = $node
                    """, ("$id", id), ("$node", nodeId));
            tx.Commit();
        }
    }

    public int RenewLeases(string nodeId, TimeSpan lease)
    {
        lock (_gate)
            return Exec(null, "UPDATE work_items SET lease_expires = $exp WHERE lease_owner = $node AND state = 'leased'",
                ("$exp", Now() + (long)lease.TotalMilliseconds), ("$node", nodeId));
    }

    public int ReclaimExpired(int maxAttempts)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            int n = ReturnOrFail(tx, "state = 'leased' AND lease_expires < $now", maxAttempts, ("$now", Now()));
            tx.Commit();
            return n;
        }
    }

    public int ReleaseDeadLocalNodes(string host, Func<int, long, bool> isAlive)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            var dead = new List<string>();
            var cmd = Command(tx, "SELECT id, pid, process_start FROM nodes WHERE host = $h", ("$h", host));
            using (var r = cmd.Rows())
                while (r.Read())
                    if (!isAlive(r.GetInt32(1), r.GetInt64(2))) dead.Add(r.GetString(0));
            int released = 0;
            foreach (var node in dead)
            {
                released += ReturnOrFail(tx, "state = 'leased' AND lease_owner = $node", 5, ("$node", node));
                Exec(tx, "DELETE FROM nodes WHERE id = $id", ("$id", node));
            }
            tx.Commit();
            return released;
        }
    }

    /// <summary>
    /// Makes the leased items matching <paramref name="where"/> ready again, or fails those tried
    /// <paramref name="maxAttempts"/> times. Either way their passes sweep temporaries at finalize.
    /// </summary>
    private int ReturnOrFail(SqliteTransaction tx, string where, int maxAttempts, params (string, object?)[] args)
    {
        var items = new List<(long Id, long Pass, long? Parent, int Attempts, byte[] Dir, string Kind)>();
        var cmd = Command(tx, $"SELECT id, pass_id, parent_id, attempts, dir, kind FROM work_items WHERE {where}", args);
        using (var r = cmd.Rows())
            while (r.Read())
                items.Add((r.GetInt64(0), r.GetInt64(1), r.IsDBNull(2) ? null : r.GetInt64(2), r.GetInt32(3), r.GetBlob(4), r.GetString(5)));
        long now = Now();
        WithProgress(tx, () =>
        {
            foreach (var it in items)
            {
                Exec(tx, "UPDATE passes SET sweep_temporaries = 1 WHERE id = $id", ("$id", it.Pass));
                if (it.Attempts < maxAttempts)
                {
                    Exec(tx, "UPDATE work_items SET state = 'ready', lease_owner = NULL, lease_expires = NULL WHERE id = $id", ("$id", it.Id));
                    continue;
                }
                Exec(tx, "UPDATE work_items SET state = 'failed', lease_owner = NULL, lease_expires = NULL WHERE id = $id", ("$id", it.Id));
                Exec(tx, "INSERT INTO failures (pass_id, item_id, path, operation, errno, message, at) VALUES ($p, $i, $path, $op, 0, $m, $now)",
                    ("$p", it.Pass), ("$i", it.Id), ("$path", it.Dir), ("$op", it.Kind),
                    ("$m", $"gave up after {it.Attempts} attempts: the node working on it stopped each time"), ("$now", now));
                Tally(it.Pass, new PassCounters { Failed = 1 });
                Finish(tx, it.Pass, it.Parent);
            }
        });
        return items.Count;
    }

    public byte[] ClaimInode(long passId, ulong dev, ulong ino, byte[] path)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction();
            Exec(tx, "INSERT OR IGNORE INTO inodes (pass_id, dev, ino, leader) VALUES ($p, $d, $i, $l)",
                ("$p", passId), ("$d", unchecked((long)dev)), ("$i", unchecked((long)ino)), ("$l", path));
            var leader = (byte[])Scalar(tx, "SELECT leader FROM inodes WHERE pass_id = $p AND dev = $d AND ino = $i",
                ("$p", passId), ("$d", unchecked((long)dev)), ("$i", unchecked((long)ino)))!;
            tx.Commit();
            return leader;
        }
    }

    // ---- progress, totals, failures -----------------------------------------------------------

    private void AppendProgress(SqliteTransaction tx, long passId, PassCounters d, long at) =>
        Exec(tx, """
            INSERT INTO pass_events (pass_id, type, at, entries_seen, files_copied, bytes_copied, skipped_equal, metadata_fixed, hard_links, failed, deleted, differences)
            VALUES ($p, 'Progressed', $at, $e, $fc, $b, $s, $m, $h, $f, $del, $diff)
            """, ("$p", passId), ("$at", at), ("$e", d.EntriesSeen), ("$fc", d.FilesCopied),
            ("$b", d.BytesCopied), ("$s", d.SkippedEqual), ("$m", d.MetadataFixed), ("$h", d.HardLinks), ("$f", d.Failed),
            ("$del", d.Deleted), ("$diff", d.Differences));

    public IReadOnlyList<PassEvent> EventsSince(long passId, long afterEventId, int limit)
    {
        lock (_gate) return EventsAfter(passId, afterEventId, limit);
    }

    private List<PassEvent> EventsAfter(long passId, long afterEventId, int limit)
    {
        var cmd = Command(null, """
            SELECT id, type, at, entries_seen, files_copied, bytes_copied, skipped_equal, metadata_fixed, hard_links, failed, detail, deleted, differences
              FROM pass_events WHERE pass_id = $p AND id > $after ORDER BY id LIMIT $limit
            """, ("$p", passId), ("$after", afterEventId), ("$limit", limit));
        using var r = cmd.Rows();
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
    private (long LastEventId, PassCounters Totals) LoadTotals(long passId)
    {
        var cmd = Command(null, """
            SELECT last_event_id, entries_seen, files_copied, bytes_copied, skipped_equal, metadata_fixed, hard_links, failed, deleted, differences
              FROM pass_snapshots WHERE pass_id = $p
            """, ("$p", passId));
        using var r = cmd.Rows();
        if (!r.Read()) return (0, default);
        return (r.GetInt64(0), new PassCounters(r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6),
            r.GetInt64(7), r.GetInt64(8), r.GetInt64(9)));
    }

    private void SaveTotals(long passId, long lastEventId, PassCounters t) =>
        Exec(null, """
            INSERT INTO pass_snapshots (pass_id, last_event_id, state, entries_seen, files_copied, bytes_copied, skipped_equal, metadata_fixed,
                                        hard_links, failed, active_ms, deleted, differences)
            VALUES ($p, $l, 'totals', $e, $fc, $b, $sk, $m, $h, $f, 0, $del, $diff)
            ON CONFLICT (pass_id) DO UPDATE SET
                last_event_id = excluded.last_event_id, entries_seen = excluded.entries_seen,
                files_copied = excluded.files_copied, bytes_copied = excluded.bytes_copied, skipped_equal = excluded.skipped_equal,
                metadata_fixed = excluded.metadata_fixed, hard_links = excluded.hard_links, failed = excluded.failed,
                deleted = excluded.deleted, differences = excluded.differences
             WHERE excluded.last_event_id > pass_snapshots.last_event_id
            """, ("$p", passId), ("$l", lastEventId), ("$e", t.EntriesSeen), ("$fc", t.FilesCopied), ("$b", t.BytesCopied),
            ("$sk", t.SkippedEqual), ("$m", t.MetadataFixed), ("$h", t.HardLinks), ("$f", t.Failed), ("$del", t.Deleted), ("$diff", t.Differences));

    public IReadOnlyList<FailureRow> Failures(long passId, long afterId, int limit)
    {
        lock (_gate)
        {
            var cmd = Command(null,
                "SELECT id, path, operation, errno, message, at FROM failures WHERE pass_id = $p AND id > $after ORDER BY id LIMIT $limit",
                ("$p", passId), ("$after", afterId), ("$limit", limit));
            using var r = cmd.Rows();
            var list = new List<FailureRow>();
            while (r.Read())
                list.Add(new FailureRow(r.GetInt64(0), passId, r.GetBlob(1), r.GetString(2), r.GetInt32(3), r.GetString(4),
                    DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5))));
            return list;
        }
    }

    public IReadOnlyList<(long Id, string Action, byte[] Path, long Bytes)> Report(long passId, long afterId, int limit)
    {
        lock (_gate)
        {
            var cmd = Command(null, "SELECT id, action, path, bytes FROM pass_report WHERE pass_id = $p AND id > $after ORDER BY id LIMIT $limit",
                ("$p", passId), ("$after", afterId), ("$limit", limit));
            using var r = cmd.Rows();
            var list = new List<(long, string, byte[], long)>();
            while (r.Read()) list.Add((r.GetInt64(0), r.GetString(1), r.GetBlob(2), r.GetInt64(3)));
            return list;
        }
    }

    public DateTimeOffset? LastActivity(long passId)
    {
        lock (_gate)
        {
            var at = Scalar(null, """
                SELECT MAX(COALESCE((SELECT at FROM pass_events WHERE pass_id = $p ORDER BY id DESC LIMIT 1), 0),
                           COALESCE(running_since, 0), created_at)
                  FROM passes WHERE id = $p
                """, ("$p", passId));
            return at is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(at));
        }
    }

    public (long Bytes, bool Scanning) RemainingWork(long passId)
    {
        lock (_gate)
        {
            var cmd = Command(null, """
                SELECT COALESCE(SUM(CASE WHEN kind = 'copy' THEN bytes ELSE 0 END), 0), COALESCE(SUM(kind = 'scan'), 0)
                  FROM work_items WHERE pass_id = $p AND state NOT IN ('done', 'failed')
                """, ("$p", passId));
            using var r = cmd.Rows();
            r.Read();
            return (r.GetInt64(0), r.GetInt64(1) > 0);
        }
    }

    // ---- nodes --------------------------------------------------------------------------------

    public void RegisterNode(NodeInfo node)
    {
        lock (_gate)
            Exec(null, """
                INSERT OR REPLACE INTO nodes (id, host, pid, process_start, version, started_at, heartbeat_at, state)
                VALUES ($id, $h, $pid, $ps, $v, $s, $hb, $st)
                """, ("$id", node.Id), ("$h", node.Host), ("$pid", node.Pid), ("$ps", node.ProcessStart), ("$v", node.Version),
                ("$s", node.StartedAt.ToUnixTimeMilliseconds()), ("$hb", node.HeartbeatAt.ToUnixTimeMilliseconds()), ("$st", node.State));
    }

    public void HeartbeatNode(string nodeId, string state)
    {
        lock (_gate)
            Exec(null, "UPDATE nodes SET heartbeat_at = $t, state = $s WHERE id = $id", ("$t", Now()), ("$s", state), ("$id", nodeId));
    }

    public void DeregisterNode(string nodeId)
    {
        lock (_gate) Exec(null, "DELETE FROM nodes WHERE id = $id", ("$id", nodeId));
    }

    public IReadOnlyList<NodeInfo> ListNodes()
    {
        lock (_gate)
        {
            var cmd = Command(null, "SELECT id, host, pid, process_start, version, started_at, heartbeat_at, state FROM nodes ORDER BY id");
            using var r = cmd.Rows();
            var list = new List<NodeInfo>();
            while (r.Read())
                list.Add(new NodeInfo(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetInt64(3), r.GetString(4),
                    DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)), r.GetString(7)));
            return list;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _db.Dispose();
        }
    }

    // ---- plumbing -----------------------------------------------------------------------------

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>The kept statement for <paramref name="sql"/>, bound to <paramref name="args"/>; <paramref name="tx"/> says which
    /// transaction it belongs to (null: its own). Callers hold <see cref="_gate"/>.</summary>
    private SqliteStatement Command(SqliteTransaction? tx, string sql, params (string Name, object? Value)[] args) => _db.Statement(sql).Bind(args);

    private object? Scalar(SqliteTransaction? tx, string sql, params (string, object?)[] args) => Command(tx, sql, args).Scalar();

    private int Exec(SqliteTransaction? tx, string sql, params (string Name, object? Value)[] args) => Command(tx, sql, args).Execute();
}
