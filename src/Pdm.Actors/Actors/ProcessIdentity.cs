namespace Pdm.Actors;

/// <summary>A process on this host, told apart from a later one that reuses its pid by its start time.</summary>
public static class ProcessIdentity
{
    public static string Host { get; } = Environment.MachineName;

    public static int Pid { get; } = Environment.ProcessId;

    public static long StartTime { get; } = StartTimeOf(Environment.ProcessId) ?? 0;

    /// <summary>Field 22 of /proc/PID/stat: start time in clock ticks since boot; null if no such process.</summary>
    public static long? StartTimeOf(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // the command name (field 2) may hold spaces and parentheses: count from the last ')'
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    public static bool IsAlive(int pid, long startTime) => StartTimeOf(pid) is { } t && t == startTime;

    /// <summary>How recent a heartbeat of a node on another host must be for it to count as alive.</summary>
    public static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(30);

    /// <summary>A node's process lives (on this host) or its heartbeat is recent (elsewhere).</summary>
    public static bool IsLive(Ledger.NodeInfo node) => node.Host == Host
        ? IsAlive(node.Pid, node.ProcessStart)
        : DateTimeOffset.UtcNow - node.HeartbeatAt < HeartbeatTimeout;
}
