namespace Pdm.Ledger;

/// <summary>
/// The ledger's schema as numbered migrations. A ledger records the versions it has applied, and
/// opening it applies the missing ones in order, each in its own transaction.
/// </summary>
internal static class SqliteSchema
{
    public static readonly IReadOnlyList<(int Version, string Sql)> Migrations =
    [
        (1, """
            CREATE TABLE passes (
                id                INTEGER PRIMARY KEY AUTOINCREMENT,
                kind              TEXT    NOT NULL CHECK (kind IN ('copy')),
                source            BLOB    NOT NULL,
                target            BLOB    NOT NULL,
                state             TEXT    NOT NULL CHECK (state IN ('queued','running','paused','completed','failed','cancelled')),
                sweep_temporaries INTEGER NOT NULL DEFAULT 0,
                created_at        INTEGER NOT NULL
            );
            CREATE TABLE work_items (
                id            INTEGER PRIMARY KEY AUTOINCREMENT,
                pass_id       INTEGER NOT NULL REFERENCES passes(id),
                kind          TEXT    NOT NULL CHECK (kind IN ('scan','copy','link','finalize')),
                state         TEXT    NOT NULL CHECK (state IN ('blocked','ready','leased','done','failed')),
                parent_id     INTEGER REFERENCES work_items(id),
                pending       INTEGER NOT NULL DEFAULT 0 CHECK (pending >= 0),
                depth         INTEGER NOT NULL,
                dir           BLOB    NOT NULL,
                payload       BLOB,
                cursor        INTEGER NOT NULL DEFAULT 0,
                attempts      INTEGER NOT NULL DEFAULT 0,
                lease_owner   TEXT,
                lease_expires INTEGER,
                CHECK ((state = 'leased') = (lease_owner IS NOT NULL))
            );
            CREATE INDEX work_items_claimable ON work_items (state, id) WHERE state IN ('ready', 'leased');
            CREATE INDEX work_items_open ON work_items (pass_id, kind) WHERE state NOT IN ('done', 'failed');
            CREATE INDEX work_items_by_owner ON work_items (lease_owner) WHERE lease_owner IS NOT NULL;
            CREATE TABLE pass_events (
                id             INTEGER PRIMARY KEY AUTOINCREMENT,
                pass_id        INTEGER NOT NULL REFERENCES passes(id),
                item_id        INTEGER,
                type           TEXT    NOT NULL,
                at             INTEGER NOT NULL,
                entries_seen   INTEGER NOT NULL DEFAULT 0,
                files_copied   INTEGER NOT NULL DEFAULT 0,
                bytes_copied   INTEGER NOT NULL DEFAULT 0,
                skipped_equal  INTEGER NOT NULL DEFAULT 0,
                metadata_fixed INTEGER NOT NULL DEFAULT 0,
                hard_links     INTEGER NOT NULL DEFAULT 0,
                failed         INTEGER NOT NULL DEFAULT 0,
                detail         TEXT
            );
            CREATE INDEX pass_events_by_pass ON pass_events (pass_id, id);
            CREATE TABLE pass_snapshots (
                pass_id        INTEGER PRIMARY KEY REFERENCES passes(id),
                last_event_id  INTEGER NOT NULL,
                state          TEXT    NOT NULL,
                entries_seen   INTEGER NOT NULL,
                files_copied   INTEGER NOT NULL,
                bytes_copied   INTEGER NOT NULL,
                skipped_equal  INTEGER NOT NULL,
                metadata_fixed INTEGER NOT NULL,
                hard_links     INTEGER NOT NULL,
                failed         INTEGER NOT NULL,
                created_at     INTEGER,
                started_at     INTEGER,
                ended_at       INTEGER,
                active_ms      INTEGER NOT NULL,
                running_since  INTEGER
            );
            CREATE TABLE failures (
                id        INTEGER PRIMARY KEY AUTOINCREMENT,
                pass_id   INTEGER NOT NULL REFERENCES passes(id),
                item_id   INTEGER,
                path      BLOB    NOT NULL,
                operation TEXT    NOT NULL,
                errno     INTEGER NOT NULL,
                message   TEXT    NOT NULL,
                at        INTEGER NOT NULL
            );
            CREATE INDEX failures_by_pass ON failures (pass_id, id);
            CREATE TABLE inodes (
                pass_id INTEGER NOT NULL,
                dev     INTEGER NOT NULL,
                ino     INTEGER NOT NULL,
                leader  BLOB    NOT NULL,
                PRIMARY KEY (pass_id, dev, ino)
            ) WITHOUT ROWID;
            CREATE TABLE nodes (
                id            TEXT    PRIMARY KEY,
                host          TEXT    NOT NULL,
                pid           INTEGER NOT NULL,
                process_start INTEGER NOT NULL,
                version       TEXT    NOT NULL,
                started_at    INTEGER NOT NULL,
                heartbeat_at  INTEGER NOT NULL,
                state         TEXT    NOT NULL
            );
            """),
        // Claims read ready items in id order: an index holding only those keeps a claim from walking
        // every finished item (it did, through the IN-list index above). Same for expired leases.
        (2, """
            DROP INDEX work_items_claimable;
            CREATE INDEX work_items_ready ON work_items (id) WHERE state = 'ready';
            CREATE INDEX work_items_leased ON work_items (lease_expires) WHERE state = 'leased';
            """),
        // Foreign keys are enforced (the ledger turns them on when it opens): without this index, removing a
        // finished pass's items looked for each one's children through the whole table.
        (3, """
            CREATE INDEX work_items_by_parent ON work_items (parent_id);
            """),
        // The delete, mtime and verify passes: pass kinds and options, a delete work kind, two counters,
        // and the report of a dry run. SQLite cannot alter a CHECK: the two tables are rebuilt.
        (4, """
            CREATE TABLE passes_v4 (
                id                INTEGER PRIMARY KEY AUTOINCREMENT,
                kind              TEXT    NOT NULL CHECK (kind IN ('copy','delete','mtime','verify')),
                source            BLOB    NOT NULL,
                target            BLOB    NOT NULL,
                options           TEXT    NOT NULL DEFAULT '{}',
                state             TEXT    NOT NULL CHECK (state IN ('queued','running','paused','completed','failed','cancelled')),
                sweep_temporaries INTEGER NOT NULL DEFAULT 0,
                planned_deletes   INTEGER NOT NULL DEFAULT 0,
                created_at        INTEGER NOT NULL
            );
            INSERT INTO passes_v4 (id, kind, source, target, state, sweep_temporaries, created_at)
                SELECT id, kind, source, target, state, sweep_temporaries, created_at FROM passes;
            DROP TABLE passes;
            ALTER TABLE passes_v4 RENAME TO passes;

            CREATE TABLE work_items_v4 (
                id            INTEGER PRIMARY KEY AUTOINCREMENT,
                pass_id       INTEGER NOT NULL REFERENCES passes(id),
                kind          TEXT    NOT NULL CHECK (kind IN ('scan','copy','link','delete','finalize')),
                state         TEXT    NOT NULL CHECK (state IN ('blocked','ready','leased','done','failed')),
                parent_id     INTEGER REFERENCES work_items_v4(id),
                pending       INTEGER NOT NULL DEFAULT 0 CHECK (pending >= 0),
                depth         INTEGER NOT NULL,
                dir           BLOB    NOT NULL,
                payload       BLOB,
                bytes         INTEGER NOT NULL DEFAULT 0,
                cursor        INTEGER NOT NULL DEFAULT 0,
                attempts      INTEGER NOT NULL DEFAULT 0,
                lease_owner   TEXT,
                lease_expires INTEGER,
                CHECK ((state = 'leased') = (lease_owner IS NOT NULL))
            );
            INSERT INTO work_items_v4 (id, pass_id, kind, state, parent_id, pending, depth, dir, payload, cursor, attempts, lease_owner, lease_expires)
                SELECT id, pass_id, kind, state, parent_id, pending, depth, dir, payload, cursor, attempts, lease_owner, lease_expires FROM work_items;
            DROP TABLE work_items;
            ALTER TABLE work_items_v4 RENAME TO work_items;
            CREATE INDEX work_items_ready ON work_items (id) WHERE state = 'ready';
            CREATE INDEX work_items_leased ON work_items (lease_expires) WHERE state = 'leased';
            CREATE INDEX work_items_open ON work_items (pass_id, kind) WHERE state NOT IN ('done', 'failed');
            CREATE INDEX work_items_by_owner ON work_items (lease_owner) WHERE lease_owner IS NOT NULL;
            CREATE INDEX work_items_by_parent ON work_items (parent_id);

            ALTER TABLE pass_events ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE pass_events ADD COLUMN differences INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE pass_snapshots ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE pass_snapshots ADD COLUMN differences INTEGER NOT NULL DEFAULT 0;

            CREATE TABLE pass_report (
                id      INTEGER PRIMARY KEY AUTOINCREMENT,
                pass_id INTEGER NOT NULL REFERENCES passes(id),
                item_id INTEGER,
                action  TEXT    NOT NULL,
                path    BLOB    NOT NULL,
                bytes   INTEGER NOT NULL DEFAULT 0
            );
            CREATE INDEX pass_report_by_pass ON pass_report (pass_id, id);
            """),
        // A pass stopped by Ctrl-C or SIGTERM is 'interrupted', not 'queued' as if it never ran; a
        // directory whose scan failed (it vanished, it cannot be read) marks its finalize item, which
        // then does not report the same directory again.
        (5, """
            CREATE TABLE passes_v5 (
                id                INTEGER PRIMARY KEY AUTOINCREMENT,
                kind              TEXT    NOT NULL CHECK (kind IN ('copy','delete','mtime','verify')),
                source            BLOB    NOT NULL,
                target            BLOB    NOT NULL,
                options           TEXT    NOT NULL DEFAULT '{}',
                state             TEXT    NOT NULL CHECK (state IN ('queued','running','paused','completed','failed','cancelled','interrupted')),
                sweep_temporaries INTEGER NOT NULL DEFAULT 0,
                planned_deletes   INTEGER NOT NULL DEFAULT 0,
                created_at        INTEGER NOT NULL
            );
            INSERT INTO passes_v5 (id, kind, source, target, options, state, sweep_temporaries, planned_deletes, created_at)
                SELECT id, kind, source, target, options, state, sweep_temporaries, planned_deletes, created_at FROM passes;
            DROP TABLE passes;
            ALTER TABLE passes_v5 RENAME TO passes;
            UPDATE passes SET state = 'interrupted'
             WHERE state = 'queued'
               AND (SELECT type FROM pass_events WHERE pass_id = passes.id AND type <> 'Progressed' ORDER BY id DESC LIMIT 1) = 'Interrupted';
            ALTER TABLE work_items ADD COLUMN scan_failed INTEGER NOT NULL DEFAULT 0;
            """),
        // The MigrationCoordinator journals a pass's lifecycle (Akka.Persistence, tables akka_*); the
        // ledger keeps its projection: the state and its times on the pass's row, and which state the
        // coordinator last journaled. pass_events keeps only progress (the exact totals, added in the
        // transaction of each completion). Admin commands for a pass run by another process wait in
        // pass_requests until its coordinator takes them. Times of passes that ran before this are
        // read off their old lifecycle events (active time from the snapshot, or end minus start).
        (6, """
            ALTER TABLE passes ADD COLUMN started_at INTEGER;
            ALTER TABLE passes ADD COLUMN ended_at INTEGER;
            ALTER TABLE passes ADD COLUMN active_ms INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE passes ADD COLUMN running_since INTEGER;
            ALTER TABLE passes ADD COLUMN journaled TEXT;
            UPDATE passes SET
                started_at = (SELECT MIN(at) FROM pass_events e WHERE e.pass_id = passes.id AND e.type IN ('Started', 'Resumed')),
                ended_at = (SELECT MAX(at) FROM pass_events e WHERE e.pass_id = passes.id AND e.type IN ('Completed', 'Failed', 'Cancelled')),
                running_since = CASE WHEN state = 'running'
                    THEN (SELECT MAX(at) FROM pass_events e WHERE e.pass_id = passes.id AND e.type IN ('Started', 'Resumed')) END;
            UPDATE passes SET active_ms = COALESCE(
                (SELECT active_ms FROM pass_snapshots s WHERE s.pass_id = passes.id),
                CASE WHEN state = 'running' THEN 0
                     ELSE COALESCE(MAX(0, COALESCE(ended_at, (SELECT MAX(at) FROM pass_events e WHERE e.pass_id = passes.id)) - COALESCE(started_at, created_at)), 0) END);
            CREATE TABLE pass_requests (
                id      INTEGER PRIMARY KEY AUTOINCREMENT,
                pass_id INTEGER NOT NULL REFERENCES passes(id),
                command TEXT    NOT NULL CHECK (command IN ('pause', 'resume', 'cancel')),
                at      INTEGER NOT NULL
            );
            CREATE INDEX pass_requests_by_pass ON pass_requests (pass_id, id);
            """),
        // Nodes of a cluster: the cluster address of each (its items go back at once when it leaves the
        // cluster), and what it is doing, for `pdm nodes`. Work items: which node finished each, and
        // two kinds for big files copied in byte ranges (range, and the assemble that renames the
        // file into place once all its ranges are done). SQLite cannot alter a CHECK: rebuilt.
        (7, """
            ALTER TABLE nodes ADD COLUMN address TEXT;
            ALTER TABLE nodes ADD COLUMN in_flight INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE nodes ADD COLUMN items_per_s REAL NOT NULL DEFAULT 0;
            ALTER TABLE nodes ADD COLUMN bytes_per_s REAL NOT NULL DEFAULT 0;

            CREATE TABLE work_items_v7 (
                id            INTEGER PRIMARY KEY AUTOINCREMENT,
                pass_id       INTEGER NOT NULL REFERENCES passes(id),
                kind          TEXT    NOT NULL CHECK (kind IN ('scan','copy','link','delete','finalize','range','assemble')),
                state         TEXT    NOT NULL CHECK (state IN ('blocked','ready','leased','done','failed')),
                parent_id     INTEGER REFERENCES work_items_v7(id),
                pending       INTEGER NOT NULL DEFAULT 0 CHECK (pending >= 0),
                depth         INTEGER NOT NULL,
                dir           BLOB    NOT NULL,
                payload       BLOB,
                bytes         INTEGER NOT NULL DEFAULT 0,
                cursor        INTEGER NOT NULL DEFAULT 0,
                attempts      INTEGER NOT NULL DEFAULT 0,
                lease_owner   TEXT,
                lease_expires INTEGER,
                scan_failed   INTEGER NOT NULL DEFAULT 0,
                done_by       TEXT,
                CHECK ((state = 'leased') = (lease_owner IS NOT NULL))
            );
            INSERT INTO work_items_v7 (id, pass_id, kind, state, parent_id, pending, depth, dir, payload, bytes, cursor, attempts, lease_owner, lease_expires, scan_failed)
                SELECT id, pass_id, kind, state, parent_id, pending, depth, dir, payload, bytes, cursor, attempts, lease_owner, lease_expires, scan_failed FROM work_items;
            DROP TABLE work_items;
            ALTER TABLE work_items_v7 RENAME TO work_items;
            CREATE INDEX work_items_ready ON work_items (id) WHERE state = 'ready';
            CREATE INDEX work_items_leased ON work_items (lease_expires) WHERE state = 'leased';
            CREATE INDEX work_items_open ON work_items (pass_id, kind) WHERE state NOT IN ('done', 'failed');
            CREATE INDEX work_items_by_owner ON work_items (lease_owner) WHERE lease_owner IS NOT NULL;
            CREATE INDEX work_items_by_parent ON work_items (parent_id);
            """),
        // Why a pass was stopped by its own work, to be resumed once the cause is gone (its target's
        // filesystem full, over quota or read-only): shown by `pdm status`, cleared when the pass runs again.
        (8, """
            ALTER TABLE passes ADD COLUMN stop_reason TEXT;
            """),
    ];

    public static int LatestVersion => Migrations[^1].Version;
}
