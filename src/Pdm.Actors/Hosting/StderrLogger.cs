using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace Pdm.Actors;

/// <summary>
/// Akka's log events on stderr, one line each: stdout belongs to the command's output. Untyped: the
/// actor system waits for its logger to start (see <see cref="WorkerActor"/>).
/// </summary>
public sealed class StderrLogger : UntypedActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly TransportNoise _noise = new(TransportNoise.Minute);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case InitializeLogger:
                Sender.Tell(new LoggerInitialized());
                break;
            case LogEvent e when !IsClientLeaving(e):
                string? line = _noise.Line(e, DateTime.UtcNow);
                if (line == TransportNoise.NotNoise)
                    Console.Error.WriteLine(
                        $"pdm: {Level(e.LogLevel())}: {e.Message}{(e.Cause is { } cause ? $" ({cause.GetType().Name}: {cause.Message})" : "")}");
                else if (line is not null)
                    Console.Error.WriteLine($"pdm: warning: {line}");
                break;
            case LogEvent:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>
    /// A `pdm` command ("pdm-client") connects to a node and leaves again; Akka reports each one that leaves
    /// as a failed association, with a warning, an error and a stack trace. Routine for a node, so not logged.
    /// </summary>
    private static bool IsClientLeaving(LogEvent e)
    {
        string text = e.Message?.ToString() ?? "";
        bool client = text.Contains("pdm-client@") || e.LogSource.Contains("pdm-client%40") || e.LogSource.Contains("pdm-client@");
        return client && (e.Cause?.GetType().Name == "EndpointDisassociatedException" // internal to Akka.Remote
                          || text.Contains("Disassociated") || text.StartsWith("Removing receive buffers"));
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.ErrorLevel => "error",
        LogLevel.WarningLevel => "warning",
        LogLevel.InfoLevel => "info",
        _ => "debug",
    };
}
