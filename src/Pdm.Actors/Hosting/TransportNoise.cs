using System.Text.RegularExpressions;
using Akka.Event;

namespace Pdm.Actors;

/// <summary>
/// What a node's transport says of every connection it refuses (a failed TLS handshake is three events
/// and about 1.1 KB of log), said once a minute per peer host instead: a flood of 20,000 junk connections
/// in 15 s wrote 23 MB of log before. The first refusal of a host in a minute is one line; the rest of
/// that minute is counted, and the count goes with the next line. Few hosts are remembered (a flood from
/// many addresses shares one entry past that).
/// </summary>
public sealed partial class TransportNoise(TimeSpan window)
{
    private const int MaxHosts = 1024;
    private readonly Dictionary<string, (DateTime Since, int Quiet)> _hosts = new(StringComparer.Ordinal);

    public static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    /// <summary>The one line to write for this event, or null to write nothing; <see cref="NotNoise"/> for an event that is not a refused connection.</summary>
    public string? Line(LogEvent e, DateTime now)
    {
        string text = e.Message?.ToString() ?? "";
        string? host = PeerOf(text);
        if (host is null) return NotNoise;
        if (!_hosts.ContainsKey(host) && _hosts.Count >= MaxHosts) host = "other hosts";
        if (_hosts.TryGetValue(host, out var seen) && now - seen.Since < window)
        {
            _hosts[host] = (seen.Since, seen.Quiet + 1);
            return null;
        }
        _hosts[host] = (now, 0);
        string more = seen.Quiet > 0 ? $"; {seen.Quiet} more from it in the last {window.TotalSeconds:0} s" : "";
        string first = text.Split('\n', 2)[0];
        if (first.Length > 160) first = first[..160] + "...";
        return $"refused a connection from {host} ({first}){more}; more from {host} are counted and said once a minute";
    }

    /// <summary>The line for an event that is no refused connection: write it as it is.</summary>
    public const string NotNoise = "\0";

    /// <summary>The peer host of a transport's refusal, or null if the event is none.</summary>
    private static string? PeerOf(string text)
    {
        if (!(text.StartsWith("Error caught channel [", StringComparison.Ordinal)
              || text.StartsWith("TLS handshake failed on channel [", StringComparison.Ordinal)
              || text.StartsWith("Rejected incoming connection from [", StringComparison.Ordinal)
              || text.StartsWith("TLS: refused the certificate of ", StringComparison.Ordinal))) return null;
        var m = Peer().Match(text);
        return m.Success ? m.Groups["host"].Value : "an unknown host";
    }

    // [local->[::ffff:1.2.3.4]:5678], from [[::ffff:1.2.3.4]:5678], of [::ffff:1.2.3.4]:5678
    [GeneratedRegex(@"(?:->|from \[|of )(?:\[(?<host>[^\]]+)\]|(?<host>[^\s:\]]+)):\d+")]
    private static partial Regex Peer();
}
