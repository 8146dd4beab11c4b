namespace Pdm.Ledger.Postgres;

/// <summary>
/// The ledger's schema on PostgreSQL, as numbered migrations (`pdm ledger migrate` applies the missing
/// ones). The same tables and meanings as SQLite's (<see cref="SqliteSchema"/> at version 6; its version 8 is version 2 here), in
/// PostgreSQL's types: every integer 64 bits, names and paths bytea. (SQLite's version 7 added the
/// nodes' address and figures, which version 1 here has from the start.)
/// </summary>
internal static class PostgresSchema
{
    public static readonly IReadOnlyList<(int Version, string Sql)> Migrations =
    [
        (1, """
            CREATE TABLE passes (
                id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                kind              TEXT   NOT NULL CHECK (kind IN ('copy','delete','mtime','verify')),
                source            BYTEA  NOT NULL,
                target            BYTEA  NOT NULL,
                options           TEXT   NOT NULL DEFAULT '{}',
                state             TEXT   NOT NULL CHECK (state IN ('queued','running','paused','completed','failed','cancelled','interrupted')),
                sweep_temporaries BIGINT NOT NULL DEFAULT 0,
                planned_deletes   BIGINT NOT NULL DEFAULT 0,
                created_at        BIGINT NOT NULL,
                started_at        BIGINT,
                ended_at          BIGINT,
                active_ms         BIGINT NOT NULL DEFAULT 0,
                running_since     BIGINT,
                journaled         TEXT
            );
            CREATE TABLE work_items (
                id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                pass_id       BIGINT NOT NULL REFERENCES passes(id),
                kind          TEXT   NOT NULL CHECK (kind IN ('scan','copy','link','delete','finalize','range','assemble')),
                state         TEXT   NOT NULL CHECK (state IN ('blocked','ready','leased','done','failed')),
                parent_id     BIGINT REFERENCES work_items(id),
                pending       BIGINT NOT NULL DEFAULT 0 CHECK (pending >= 0),
                depth         BIGINT NOT NULL,
                dir           BYTEA  NOT NULL,
                payload       BYTEA,
                bytes         BIGINT NOT NULL DEFAULT 0,
                cursor        BIGINT NOT NULL DEFAULT 0,
                attempts      BIGINT NOT NULL DEFAULT 0,
                lease_owner   TEXT,
                lease_expires BIGINT,
                scan_failed   BIGINT NOT NULL DEFAULT 0,
                done_by       TEXT,
                CHECK ((state = 'leased') = (lease_owner IS NOT NULL))
            );
            CREATE INDEX work_items_ready ON work_items (id) WHERE state = 'ready';
            CREATE INDEX work_items_leased ON work_items (lease_expires) WHERE state = 'leased';
            CREATE INDEX work_items_open ON work_items (pass_id, kind) WHERE state NOT IN ('done', 'failed');
            CREATE INDEX work_items_by_owner ON work_items (lease_owner) WHERE lease_owner IS NOT NULL;
            CREATE INDEX work_items_by_parent ON work_items (parent_id);
            CREATE TABLE pass_events (
                id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                pass_id        BIGINT NOT NULL REFERENCES passes(id),
                item_id        BIGINT,
                type           TEXT   NOT NULL,
                at             BIGINT NOT NULL,
                entries_seen   BIGINT NOT NULL DEFAULT 0,
                files_copied   BIGINT NOT NULL DEFAULT 0,
                bytes_copied   BIGINT NOT NULL DEFAULT 0,
                skipped_equal  BIGINT NOT NULL DEFAULT 0,
                metadata_fixed BIGINT NOT NULL DEFAULT 0,
                hard_links     BIGINT NOT NULL DEFAULT 0,
                failed         BIGINT NOT NULL DEFAULT 0,
                deleted        BIGINT NOT NULL DEFAULT 0,
                differences    BIGINT NOT NULL DEFAULT 0,
                detail         TEXT
            );
            CREATE INDEX pass_events_by_pass ON pass_events (pass_id, id);
            CREATE TABLE pass_snapshots (
                pass_id        BIGINT PRIMARY KEY REFERENCES passes(id),
                last_event_id  BIGINT NOT NULL,
                state          TEXT   NOT NULL,
                entries_seen   BIGINT NOT NULL,
                files_copied   BIGINT NOT NULL,
                bytes_copied   BIGINT NOT NULL,
                skipped_equal  BIGINT NOT NULL,
                metadata_fixed BIGINT NOT NULL,
                hard_links     BIGINT NOT NULL,
                failed         BIGINT NOT NULL,
                created_at     BIGINT,
                started_at     BIGINT,
                ended_at       BIGINT,
                active_ms      BIGINT NOT NULL,
                running_since  BIGINT,
                deleted        BIGINT NOT NULL DEFAULT 0,
                differences    BIGINT NOT NULL DEFAULT 0
            );
            CREATE TABLE failures (
                id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                pass_id   BIGINT NOT NULL REFERENCES passes(id),
                item_id   BIGINT,
                path      BYTEA  NOT NULL,
                operation TEXT   NOT NULL,
                errno     BIGINT NOT NULL,
                message   TEXT   NOT NULL,
                at        BIGINT NOT NULL
            );
            CREATE INDEX failures_by_pass ON failures (pass_id, id);
            CREATE TABLE inodes (
                pass_id BIGINT NOT NULL,
                dev     BIGINT NOT NULL,
                ino     BIGINT NOT NULL,
                leader  BYTEA  NOT NULL,
                PRIMARY KEY (pass_id, dev, ino)
            );
            CREATE TABLE nodes (
                id            TEXT   PRIMARY KEY,
                host          TEXT   NOT NULL,
                pid           BIGINT NOT NULL,
                process_start BIGINT NOT NULL,
                version       TEXT   NOT NULL,
                started_at    BIGINT NOT NULL,
                heartbeat_at  BIGINT NOT NULL,
                state         TEXT   NOT NULL,
                address       TEXT,
                in_flight     BIGINT NOT NULL DEFAULT 0,
                items_per_s   DOUBLE PRECISION NOT NULL DEFAULT 0,
                bytes_per_s   DOUBLE PRECISION NOT NULL DEFAULT 0
            );
            CREATE TABLE pass_report (
                id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                pass_id BIGINT NOT NULL REFERENCES passes(id),
                item_id BIGINT,
                action  TEXT   NOT NULL,
                path    BYTEA  NOT NULL,
                bytes   BIGINT NOT NULL DEFAULT 0
            );
            CREATE INDEX pass_report_by_pass ON pass_report (pass_id, id);
            CREATE TABLE pass_requests (
                id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                pass_id BIGINT NOT NULL REFERENCES passes(id),
                command TEXT   NOT NULL CHECK (command IN ('pause', 'resume', 'cancel')),
                at      BIGINT NOT NULL
            );
            CREATE INDEX pass_requests_by_pass ON pass_requests (pass_id, id);
            """),
        // As SQLite's version 8: why a pass's own work stopped it (its target full or read-only), until it runs again.
        (2, """
            ALTER TABLE passes ADD COLUMN stop_reason TEXT;
            """),
    ];

    public static int LatestVersion => Migrations[^1].Version;
}
