using Pdm.Ledger;

namespace Pdm.Shell;

/// <summary>
/// Live progress: on a terminal one line redrawn twice a second; otherwise (a log, a pipe) a plain
/// line every 10 seconds, so logs stay readable.
/// </summary>
public sealed class ProgressReporter(IConsoleIO console)
{
    private long _lastBytes;
    private DateTime _lastAt = DateTime.UtcNow;
    private bool _drawn;

    public TimeSpan Interval => console.IsTerminal ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromSeconds(10);

    public void Show(PassState s)
    {
        var now = DateTime.UtcNow;
        double seconds = (now - _lastAt).TotalSeconds;
        double rate = seconds > 0 ? (s.Counters.BytesCopied - _lastBytes) / seconds : 0;
        _lastBytes = s.Counters.BytesCopied;
        _lastAt = now;
        var c = s.Counters;
        string paused = s.Status == PassStatus.Paused ? "[paused] " : "";
        string line = paused + $"{Format.Count(c.FilesCopied)} files copied ({Format.Bytes(c.BytesCopied)}, {Format.Bytes(rate)}/s), " +
            $"{Format.Count(c.SkippedEqual)} equal, {Format.Count(c.Deleted)} deleted, {Format.Count(c.Failed)} failed, {Format.Count(c.EntriesSeen)} entries seen";
        if (console.IsTerminal)
        {
            console.Error.Write($"\r\u001b[K{line}");
            _drawn = true;
        }
        else
        {
            console.Error.WriteLine($"pdm: {DateTime.Now:HH:mm:ss} {line}");
        }
    }

    public void Clear()
    {
        if (_drawn) console.Error.Write("\r\u001b[K");
        _drawn = false;
    }
}
