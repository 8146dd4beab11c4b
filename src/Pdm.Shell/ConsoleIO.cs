namespace Pdm.Shell;

/// <summary>The console behind an interface, so tests can read what users see.</summary>
public interface IConsoleIO
{
    TextWriter Out { get; }
    TextWriter Error { get; }
    /// <summary>Whether progress may redraw one line in place (stderr is a terminal).</summary>
    bool IsTerminal { get; }
}

public sealed class SystemConsoleIO : IConsoleIO
{
    public TextWriter Out => Console.Out;
    public TextWriter Error => Console.Error;
    public bool IsTerminal => !Console.IsErrorRedirected;
}
