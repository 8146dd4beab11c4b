namespace Pdm.Ledger;

/// <summary>
/// The names under which the ledger stores its enums (and the shell prints them). Spelt out, not
/// Enum.Parse and ToString: those are generic and reflective, and JIT-compiling them was a
/// measurable part of every `pdm` command's start.
/// </summary>
public static class LedgerNames
{
    public static string KindName(PassKind k) => k switch
    {
        PassKind.Copy => "copy", PassKind.Delete => "delete", PassKind.Mtime => "mtime", PassKind.Verify => "verify",
        _ => throw new ArgumentOutOfRangeException(nameof(k), k, null),
    };

    public static PassKind ParseKind(string s) => s switch
    {
        "copy" => PassKind.Copy, "delete" => PassKind.Delete, "mtime" => PassKind.Mtime, "verify" => PassKind.Verify,
        _ => throw new InvalidDataException($"unknown pass kind '{s}'"),
    };

    public static string StatusName(PassStatus s) => s switch
    {
        PassStatus.Queued => "queued", PassStatus.Running => "running", PassStatus.Paused => "paused",
        PassStatus.Completed => "completed", PassStatus.Failed => "failed", PassStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, null),
    };

    public static PassStatus ParseStatus(string s) => s switch
    {
        "queued" => PassStatus.Queued, "running" => PassStatus.Running, "paused" => PassStatus.Paused,
        "completed" => PassStatus.Completed, "failed" => PassStatus.Failed, "cancelled" => PassStatus.Cancelled,
        _ => throw new InvalidDataException($"unknown pass state '{s}'"),
    };

    public static string WorkKindName(WorkKind k) => k switch
    {
        WorkKind.Scan => "scan", WorkKind.Copy => "copy", WorkKind.Link => "link", WorkKind.Delete => "delete",
        WorkKind.Finalize => "finalize",
        _ => throw new ArgumentOutOfRangeException(nameof(k), k, null),
    };

    public static WorkKind ParseWorkKind(string s) => s switch
    {
        "scan" => WorkKind.Scan, "copy" => WorkKind.Copy, "link" => WorkKind.Link, "delete" => WorkKind.Delete,
        "finalize" => WorkKind.Finalize,
        _ => throw new InvalidDataException($"unknown work item kind '{s}'"),
    };

    public static string EventName(PassEventType t) => t switch
    {
        PassEventType.Created => "Created", PassEventType.Started => "Started", PassEventType.Progressed => "Progressed",
        PassEventType.Interrupted => "Interrupted", PassEventType.Paused => "Paused", PassEventType.Resumed => "Resumed",
        PassEventType.Cancelled => "Cancelled", PassEventType.Completed => "Completed", PassEventType.Failed => "Failed",
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, null),
    };

    public static PassEventType ParseEvent(string s) => s switch
    {
        "Created" => PassEventType.Created, "Started" => PassEventType.Started, "Progressed" => PassEventType.Progressed,
        "Interrupted" => PassEventType.Interrupted, "Paused" => PassEventType.Paused, "Resumed" => PassEventType.Resumed,
        "Cancelled" => PassEventType.Cancelled, "Completed" => PassEventType.Completed, "Failed" => PassEventType.Failed,
        _ => throw new InvalidDataException($"unknown pass event '{s}'"),
    };
}
