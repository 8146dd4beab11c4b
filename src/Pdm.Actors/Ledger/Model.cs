using System.Globalization;

namespace Pdm.Ledger;

/// <summary>copy: new and changed entries; delete: what the target has and the source no longer has;
/// mtime: directory times, deepest first; verify: compare everything, change nothing.</summary>
public enum PassKind { Copy, Delete, Mtime, Verify }

/// <summary>Options of a pass, fixed when it is created and stored with it (as JSON).</summary>
public sealed record PassOptions(bool DryRun = false, bool Checksum = false, long? MaxDelete = null)
{
    public static readonly PassOptions None = new();

    /// <summary>
    /// The stored form, also what finds an unfinished pass with the same options, so its text must not
    /// change: {"DryRun":false,"Checksum":false,"MaxDelete":null}. Written and read by hand: a JSON
    /// library cost every `pdm` command several milliseconds of loading and JIT at start.
    /// </summary>
    public string ToJson() =>
        $"{{\"DryRun\":{Bool(DryRun)},\"Checksum\":{Bool(Checksum)},\"MaxDelete\":{(MaxDelete is { } m ? m.ToString(CultureInfo.InvariantCulture) : "null")}}}";

    private static string Bool(bool b) => b ? "true" : "false";

    /// <summary>Reads what <see cref="ToJson"/> wrote: a flat object of booleans, integers and nulls, keys in any order.</summary>
    public static PassOptions FromJson(string json)
    {
        if (string.IsNullOrWhiteSpace(json)) return None;
        var text = json.AsSpan().Trim();
        if (text.Length < 2 || text[0] != '{' || text[^1] != '}') throw BadOptions(json);
        bool dryRun = false, checksum = false;
        long? maxDelete = null;
        var members = text[1..^1];
        if (members.IsWhiteSpace()) return None;
        foreach (var range in members.Split(','))
        {
            var member = members[range];
            int colon = member.IndexOf(':');
            if (colon < 0) throw BadOptions(json);
            var key = member[..colon].Trim();
            var value = member[(colon + 1)..].Trim();
            if (key is ['"', .., '"']) key = key[1..^1];
            else throw BadOptions(json);
            switch (key)
            {
                case "DryRun": dryRun = ParseBool(value, json); break;
                case "Checksum": checksum = ParseBool(value, json); break;
                case "MaxDelete":
                    maxDelete = value.SequenceEqual("null") ? null
                        : long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) ? n : throw BadOptions(json);
                    break;
                default: throw new InvalidDataException($"unknown pass option '{key}' in {json} (a ledger written by a newer pdm?)");
            }
        }
        return new PassOptions(dryRun, checksum, maxDelete);
    }

    private static bool ParseBool(ReadOnlySpan<char> value, string json) =>
        value.SequenceEqual("true") || (value.SequenceEqual("false") ? false : throw BadOptions(json));

    private static InvalidDataException BadOptions(string json) => new($"pass options are not what pdm writes: {json}");
}

/// <summary>Interrupted: stopped by a signal (Ctrl-C, SIGTERM), waiting to be resumed; queued: never started.</summary>
public enum PassStatus { Queued, Running, Paused, Completed, Failed, Cancelled, Interrupted }

/// <summary>
/// scan: list one source directory and compare it with the target; copy: a bounded batch of
/// entries of one directory; link: hardlinks to make once all data is copied; finalize: a
/// directory's own metadata, once everything below it is done.
/// </summary>
/// <summary>
/// What a work item is. Range and Assemble: a big file copied in byte ranges (by any threads and
/// nodes), then renamed into place by its assemble item once every range is done.
/// </summary>
public enum WorkKind { Scan, Copy, Link, Delete, Finalize, Range, Assemble }

/// <summary>
/// How a scan reads its directory (the first byte of a scan item's payload; none means Normal).
/// Orphan: a target directory whose source is gone, to be emptied and removed (delete pass).
/// Extras: the target side of a verify, looking for entries the source does not have.
/// </summary>
public enum ScanMode : byte { Normal = 0, Orphan = 1, Extras = 2 }

public sealed record PassInfo(
    long Id, PassKind Kind, byte[] Source, byte[] Target, PassStatus Status, bool SweepTemporaries,
    DateTimeOffset CreatedAt, PassOptions Options)
{
    public bool IsFinished => Status.IsFinished();
}

/// <param name="SweepTemporaries">read with the claim: an attempt of this pass died, so finalizing a
/// directory also removes temporaries it may have left</param>
/// <param name="ScanFailed">of an assemble item: a range of its file failed (and said so); of a finalize item: the directory's scan could not open or read it and said
/// so; that the finalize cannot either is not reported again</param>
public sealed record WorkItem(
    long Id, long PassId, WorkKind Kind, long? ParentId, int Depth, byte[] Dir, byte[]? Payload, long Cursor, int Attempts,
    bool SweepTemporaries = false, bool ScanFailed = false);

/// <summary>Something the pass could not do for one entry.</summary>
public sealed record Failure(byte[] Path, string Operation, int Errno, string Message);

/// <summary>A failure as stored, with its pass and time.</summary>
public sealed record FailureRow(long Id, long PassId, byte[] Path, string Operation, int Errno, string Message, DateTimeOffset At);

/// <summary>The exact counts of a pass; events carry deltas of these, the fold sums them.</summary>
public readonly record struct PassCounters(
    long EntriesSeen, long FilesCopied, long BytesCopied, long SkippedEqual, long MetadataFixed, long HardLinks, long Failed,
    long Deleted = 0, long Differences = 0)
{
    public static PassCounters operator +(PassCounters a, PassCounters b) => new(
        a.EntriesSeen + b.EntriesSeen, a.FilesCopied + b.FilesCopied, a.BytesCopied + b.BytesCopied,
        a.SkippedEqual + b.SkippedEqual, a.MetadataFixed + b.MetadataFixed, a.HardLinks + b.HardLinks, a.Failed + b.Failed,
        a.Deleted + b.Deleted, a.Differences + b.Differences);

    public bool IsZero => this == default;
}

/// <summary>
/// What handling a work item produced, committed in one transaction with the item's new state.
/// With <see cref="Cursor"/> set it is a checkpoint of a scan that goes on; otherwise the item is done.
/// </summary>
public sealed class ItemOutcome
{
    /// <summary>Subdirectories to scan (names in the item's directory); each gets a scan and a finalize item.</summary>
    public List<(byte[] Name, ScanMode Mode)> Subdirectories { get; } = [];

    /// <summary>Batches of work on entries of the item's directory (copy, link, delete, or an extras scan), with their bytes.</summary>
    public List<(WorkKind Kind, byte[] Payload, long Bytes)> Batches { get; } = [];

    /// <summary>Entries this outcome plans to remove (checked against the pass's --max-delete before it commits).</summary>
    public long PlannedDeletes { get; set; }

    /// <summary>What a dry run would have done: (action, path, bytes).</summary>
    public List<(string Action, byte[] Path, long Bytes)> Report { get; } = [];

    public void AddSubdirectory(ReadOnlySpan<byte> name, ScanMode mode = ScanMode.Normal) => Subdirectories.Add((name.ToArray(), mode));

    public void AddBatch(WorkKind kind, byte[] payload, long bytes = 0) => Batches.Add((kind, payload, bytes));

    /// <summary>Big files to copy in byte ranges: each an assemble item (its payload) waiting for its range items.</summary>
    public List<(byte[] Assemble, List<byte[]> Ranges, long Bytes)> SplitFiles { get; } = [];

    public List<Failure> Failures { get; } = [];

    public PassCounters Delta { get; set; }

    public long? Cursor { get; set; }

    /// <summary>
    /// A scan that found nothing to do below its directory has also applied the directory's metadata:
    /// its finalize item is done with it, one work item instead of two for every leaf directory.
    /// </summary>
    public bool FinalizedDirectory { get; set; }

    /// <summary>
    /// A scan could not open or read its directory (it vanished, it is unreadable): the failure is in
    /// <see cref="Failures"/> once, and the directory's finalize item is marked not to report it again.
    /// </summary>
    public bool DirectoryFailed { get; set; }

    public void Fail(byte[] path, string operation, int errno, string message)
    {
        Failures.Add(new Failure(path, operation, errno, message));
        Delta = Delta with { Failed = Delta.Failed + 1 };
    }

    public void Add(PassCounters delta) => Delta += delta;
}

/// <summary>
/// A node as registered in the ledger. Its state says what it works on: every running pass, or one.
/// In a cluster, <see cref="Address"/> is its cluster address; the figures are those of its last heartbeat.
/// </summary>
public sealed record NodeInfo(string Id, string Host, int Pid, long ProcessStart, string Version, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt, string State,
    string? Address = null, long InFlight = 0, double ItemsPerSecond = 0, double BytesPerSecond = 0)
{
    public const string AllPasses = "running";

    public static string DedicatedTo(long passId) => $"running pass {passId}";

    public bool WorksOn(long passId) => State == AllPasses || State == DedicatedTo(passId);
}

/// <summary>The ledger's answer when a transaction finds the item no longer leased to this node.</summary>
public sealed class LeaseLostException(long itemId) : Exception($"work item {itemId} is no longer leased to this node");

/// <summary>A delete pass would remove more entries than its --max-delete allows: the pass fails instead.</summary>
public sealed class MaxDeleteExceededException(long passId, long planned, long max)
    : Exception($"pass {passId} would delete more than {max} entries (--max-delete); at least {planned} are gone from the source");

/// <summary>The ledger cannot be opened or reached.</summary>
public class LedgerUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The ledger's database went away for a while (a PostgreSQL restart, a network cut): the call can be
/// made again. <see cref="WhileCommitting"/>: it went away while a transaction committed, which may
/// or may not have taken effect.
/// </summary>
public sealed class LedgerTransientException(string message, bool whileCommitting, Exception inner) : LedgerUnavailableException(message, inner)
{
    public bool WhileCommitting { get; } = whileCommitting;
}
