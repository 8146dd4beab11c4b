using System.Runtime;
using Pdm.Native;

namespace Pdm.Shell;

/// <summary>
/// Multicore JIT (<see cref="ProfileOptimization"/>) for a `pdm` command: the methods its last run had
/// to JIT-compile are compiled again at the start of the next, on another core, before they are needed.
/// ReadyToRun leaves about 410 methods to the JIT in a one-file copy (generic instantiations that no
/// image holds, even with cross-module inlining; see Pdm.Shell.csproj): 70-80 ms of JIT, most of it
/// while the actor system starts, on the critical path. Measured here, 40 interleaved one-file copies:
/// 217 ms wall without the profile, 196 ms with it (medians; 246 and 217 before cross-module inlining).
/// <para>
/// One profile per command (copy, status...: they JIT different methods) in pdm's cache directory. Each
/// run plays back and records a private copy, then renames it into place: concurrent runs never read a
/// half-written profile. The runtime checks every assembly's identity (MVID) before it uses a profile,
/// so one from another build is ignored. A cache that cannot be written costs nothing but the gain.
/// </para>
/// <para>
/// Only the start is recorded (<see cref="RecordFor"/>). A pass that runs on starts its coordinator
/// after 3 s (and may bring older passes' journals up to date after 2 s): the journal's linq2db
/// queries, about 900 methods more. A profile with them had every later run compile them ahead, on the
/// core the copy needs: measured, a 30,000-file copy after a run that had started its coordinator
/// JIT-compiled 1,836 methods in 1,084 ms, against 956-1,015 methods in 548-716 ms after one
/// that had not.
/// </para>
/// </summary>
public sealed class StartupProfile : IDisposable
{
    private const string Suffix = ".jitprofile";

    /// <summary>Private copies older than this are of runs that were killed: removed.</summary>
    private static readonly TimeSpan Abandoned = TimeSpan.FromDays(1);

    /// <summary>
    /// How long a run records: its start (a one-file copy ends in about 0.2 s), and well before anything
    /// of a pass that starts late (its coordinator after 3 s, the journals' reconciliation after 2 s).
    /// </summary>
    public static readonly TimeSpan RecordFor = TimeSpan.FromSeconds(1);

    private readonly string _mine;
    private readonly string _shared;
    private readonly Timer _stopRecording;
    private readonly Lock _gate = new(); // the timer's stop and the end's wait for each other: the file is whole when it is moved
    private bool _recording = true;
    private bool _discarded;

    private StartupProfile(string mine, string shared)
    {
        _mine = mine;
        _shared = shared;
        _stopRecording = new Timer(_ => StopRecording(), null, RecordFor, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Stops recording and playing back: the runtime writes the private copy now.</summary>
    private void StopRecording()
    {
        lock (_gate)
        {
            if (!_recording) return;
            _recording = false;
            ProfileOptimization.StartProfile(null);
        }
    }

    /// <summary>$XDG_CACHE_HOME/pdm, else $HOME/.cache/pdm, else (root) /var/cache/pdm; null when there is none.</summary>
    public static string? CacheDirectory() =>
        LedgerLocation.XdgDirectory("XDG_CACHE_HOME", ".cache", "/var/cache/pdm", Environment.GetEnvironmentVariable, Sys.IsRoot);

    /// <summary>Starts the profile of the command named first on the command line, if it is a command; null if there is none to keep.</summary>
    public static StartupProfile? Start(string[] args)
    {
        if (args is not [{ Length: > 0 } command, ..] || !command.All(char.IsAsciiLetterLower) || CacheDirectory() is not { } directory) return null;
        try
        {
            Directory.CreateDirectory(directory);
            string shared = Path.Combine(directory, command + Suffix);
            string mine = $"{shared}.{Environment.ProcessId}";
            RemoveAbandoned(directory);
            if (File.Exists(shared))
            {
                File.Copy(shared, mine, overwrite: true);
                File.SetLastWriteTimeUtc(mine, DateTime.UtcNow); // in use, not abandoned
            }
            ProfileOptimization.SetProfileRoot(directory);
            ProfileOptimization.StartProfile(Path.GetFileName(mine));
            return new StartupProfile(mine, shared);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // no cache here (read-only, full, not ours): the command runs as it would without
        }
    }

    /// <summary>
    /// This run's profile is not kept (the shared one stays as it was): its command was mistyped or
    /// refused, and a cache file per typo (`pdm statsu`) is not what a user expects to find.
    /// </summary>
    public void Discard() => _discarded = true;

    /// <summary>Stops recording, if the run was shorter than <see cref="RecordFor"/>, and puts the private copy in place of the shared one.</summary>
    public void Dispose()
    {
        _stopRecording.Dispose();
        try
        {
            StopRecording();
            if (_discarded) File.Delete(_mine);
            else if (File.Exists(_mine)) File.Move(_mine, _shared, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(_mine); }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException) { }
        }
    }

    private static void RemoveAbandoned(string directory)
    {
        foreach (var copy in Directory.EnumerateFiles(directory).Where(IsPrivateCopy))
            if (DateTime.UtcNow - File.GetLastWriteTimeUtc(copy) > Abandoned) File.Delete(copy);
    }

    /// <summary>COMMAND.jitprofile.PID (a pattern such as "*.jitprofile.*" would match COMMAND.jitprofile too).</summary>
    public static bool IsPrivateCopy(string path)
    {
        string name = Path.GetFileName(path);
        int at = name.LastIndexOf(Suffix + ".", StringComparison.Ordinal);
        return at > 0 && name[(at + Suffix.Length + 1)..] is { Length: > 0 } pid && pid.All(char.IsAsciiDigit);
    }
}
