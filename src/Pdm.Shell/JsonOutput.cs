using System.Text;
using System.Text.Json;
using Pdm.Cluster;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Shell;

/// <summary>
/// `--json`: one JSON document per command, for scripts and monitoring. Names are snake_case and stable
/// (entries_seen, files_copied, bytes_copied, links_made, metadata_fixed, skipped_equal, deleted,
/// differences, failures, state...); paths are escaped as pdm prints them (bytes that are not UTF-8 as \xNN).
/// </summary>
public sealed class JsonOutput : IDisposable
{
    private readonly TextWriter _out;
    private readonly MemoryStream _buffer = new();
    private readonly Utf8JsonWriter _json;
    private bool _streamingFailures;

    private JsonOutput(TextWriter output)
    {
        _out = output;
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Indented = true });
    }

    public static void Pass(TextWriter output, Api.PassView view)
    {
        using var o = new JsonOutput(output);
        o.WritePass(view);
    }

    public static void Passes(TextWriter output, IEnumerable<Api.PassView> views)
    {
        using var o = new JsonOutput(output);
        o._json.WriteStartObject();
        o._json.WriteStartArray("passes");
        foreach (var view in views) o.WritePass(view);
        o._json.WriteEndArray();
        o._json.WriteEndObject();
    }

    public static void Nodes(TextWriter output, Api.NodeList list)
    {
        using var o = new JsonOutput(output);
        var j = o._json;
        j.WriteStartObject();
        if (list.Leader is null) j.WriteNull("leader");
        else j.WriteString("leader", list.Leader);
        j.WriteStartArray("nodes");
        foreach (var n in list.Nodes)
        {
            j.WriteStartObject();
            j.WriteString("address", n.Address);
            j.WriteString("status", n.Status.ToLowerInvariant());
            j.WriteBoolean("reachable", n.Reachable);
            j.WriteStartArray("roles");
            foreach (var role in n.Roles) j.WriteStringValue(role);
            j.WriteEndArray();
            if (n.NodeId is null) j.WriteNull("node_id");
            else j.WriteString("node_id", n.NodeId);
            j.WriteNumber("in_flight", n.InFlight);
            j.WriteNumber("items_per_second", Math.Round(n.ItemsPerSecond, 1));
            j.WriteNumber("bytes_per_second", Math.Round(n.BytesPerSecond));
            WriteTime(j, "heartbeat_at", n.HeartbeatAt);
            j.WriteEndObject();
        }
        j.WriteEndArray();
        j.WriteEndObject();
    }

    /// <summary>A document {"pass": ID, "failures": [...]} written as the failures come (one per <see cref="Failure"/>), closed on dispose.</summary>
    public static JsonOutput FailuresOf(TextWriter output, long passId)
    {
        var o = new JsonOutput(output);
        o._json.WriteStartObject();
        o._json.WriteNumber("pass", passId);
        o._json.WriteStartArray("failures");
        o._streamingFailures = true;
        return o;
    }

    public void Failure(FailureRow f)
    {
        _json.WriteStartObject();
        _json.WriteString("path", f.Path.Length == 0 ? "." : ByteNames.Escape(f.Path));
        _json.WriteString("operation", f.Operation);
        _json.WriteString("message", f.Message);
        _json.WriteNumber("errno", f.Errno);
        WriteTime(_json, "at", f.At);
        _json.WriteEndObject();
        if (_json.BytesPending + _buffer.Length > 1 << 16) Flush();
    }

    private void WritePass(Api.PassView view)
    {
        var (pass, s) = (view.Pass, view.State);
        var c = s.Counters;
        var j = _json;
        j.WriteStartObject();
        j.WriteNumber("id", pass.Id);
        j.WriteString("kind", LedgerNames.KindName(pass.Kind));
        j.WriteString("state", LedgerNames.StatusName(s.Status));
        j.WriteBoolean("dry_run", pass.Options.DryRun);
        j.WriteString("source", ByteNames.Escape(pass.Source));
        j.WriteString("target", ByteNames.Escape(pass.Target));
        WriteTime(j, "started_at", s.StartedAt);
        WriteTime(j, "ended_at", s.EndedAt);
        j.WriteNumber("elapsed_seconds", Math.Round(s.Elapsed(DateTimeOffset.UtcNow).TotalSeconds, 3));
        j.WriteNumber("entries_seen", c.EntriesSeen);
        j.WriteNumber("files_copied", c.FilesCopied);
        j.WriteNumber("bytes_copied", c.BytesCopied);
        j.WriteNumber("links_made", c.HardLinks);
        j.WriteNumber("metadata_fixed", c.MetadataFixed);
        j.WriteNumber("skipped_equal", c.SkippedEqual);
        j.WriteNumber("deleted", c.Deleted);
        j.WriteNumber("differences", c.Differences);
        j.WriteNumber("failures", c.Failed);
        j.WriteNumber("bytes_to_copy", view.BytesToCopy);
        j.WriteBoolean("scanning", view.Scanning);
        if (view.Waiting is null) j.WriteNull("waiting");
        else j.WriteString("waiting", view.Waiting);
        if (s.StopReason is null) j.WriteNull("stop_reason");
        else j.WriteString("stop_reason", s.StopReason);
        j.WriteEndObject();
    }

    private static void WriteTime(Utf8JsonWriter j, string name, DateTimeOffset? t)
    {
        if (t is { } time) j.WriteString(name, time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        else j.WriteNull(name);
    }

    private void Flush()
    {
        _json.Flush();
        _out.Write(Encoding.UTF8.GetString(_buffer.GetBuffer(), 0, (int)_buffer.Length));
        _buffer.SetLength(0);
    }

    public void Dispose()
    {
        if (_streamingFailures)
        {
            _json.WriteEndArray();
            _json.WriteEndObject();
        }
        Flush();
        _out.WriteLine();
        _json.Dispose();
    }
}
