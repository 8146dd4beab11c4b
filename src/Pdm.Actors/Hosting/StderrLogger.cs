using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace Pdm.Actors;

/// <summary>Akka's log events on stderr, one line each: stdout belongs to the command's output.</summary>
public sealed class StderrLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    public StderrLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e => Console.Error.WriteLine(
            $"pdm: {Level(e.LogLevel())}: {e.Message}{(e.Cause is { } cause ? $" ({cause.GetType().Name}: {cause.Message})" : "")}"));
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.ErrorLevel => "error",
        LogLevel.WarningLevel => "warning",
        LogLevel.InfoLevel => "info",
        _ => "debug",
    };
}
