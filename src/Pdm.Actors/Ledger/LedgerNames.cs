namespace Pdm.Ledger;

/// <summary>
/// The names under which the ledger stores its enums (and the shell prints them). Spelt out, not
/// Enum.Parse and ToString: those are generic and reflective, and JIT-compiling them was a
/// measurable part of every `pdm` command's start. Each table lists the names in the enum's order.
/// </summary>
public static class LedgerNames
{
    private static readonly string[] Kinds = ["copy", "delete", "mtime", "verify"];
    private static readonly string[] Statuses = ["queued", "running", "paused", "completed", "failed", "cancelled", "interrupted"];
    private static readonly string[] WorkKinds = ["scan", "copy", "link", "delete", "finalize", "range", "assemble"];
    private static readonly string[] Requests = ["pause", "resume", "cancel"];
    private static readonly string[] Events =
        ["Created", "Started", "Progressed", "Interrupted", "Paused", "Resumed", "Cancelled", "Completed", "Failed"];

    public static string KindName(PassKind k) => Kinds[(int)k];

    public static PassKind ParseKind(string s) => (PassKind)Find(Kinds, s, "pass kind");

    public static string StatusName(PassStatus s) => Statuses[(int)s];

    public static PassStatus ParseStatus(string s) => (PassStatus)Find(Statuses, s, "pass state");

    public static string WorkKindName(WorkKind k) => WorkKinds[(int)k];

    public static WorkKind ParseWorkKind(string s) => (WorkKind)Find(WorkKinds, s, "work item kind");

    public static string RequestName(PassRequest r) => Requests[(int)r];

    public static PassRequest ParseRequest(string s) => (PassRequest)Find(Requests, s, "pass request");

    public static string EventName(PassEventType t) => Events[(int)t];

    public static PassEventType ParseEvent(string s) => (PassEventType)Find(Events, s, "pass event");

    private static int Find(string[] names, string s, string what)
    {
        int i = Array.IndexOf(names, s);
        return i >= 0 ? i : throw new InvalidDataException($"unknown {what} '{s}'");
    }
}
