using System.CommandLine;
using System.Text;

namespace Pdm.Shell.Commands;

/// <summary>
/// `pdm shell`: an interactive prompt taking the same commands as the command line (as Petabridge's
/// pbm does for Akka), with `help`, `history` (kept in ~/.local/state/pdm/history) and `exit`.
/// </summary>
public sealed class ShellCommand(IConsoleIO console) : PdmCommand(console)
{
    public override Command Build()
    {
        var cmd = new Command("shell", "An interactive prompt for the same commands (help, history, exit)");
        cmd.SetAction(_ => Guard(Loop));
        return cmd;
    }

    private int Loop()
    {
        // No state directory (no home): the history lives only as long as the shell.
        string? historyFile = LedgerLocation.StateDirectory() is { } state ? Path.Combine(state, "history") : null;
        var history = historyFile is not null && File.Exists(historyFile) ? File.ReadAllLines(historyFile).ToList() : [];
        Console.Out.WriteLine("pdm shell: the commands of `pdm --help`; also history, exit.");
        int last = ExitCodes.Ok;
        while (true)
        {
            Console.Out.Write("pdm> ");
            Console.Out.Flush();
            string? line = System.Console.In.ReadLine();
            if (line is null) break; // end of input
            line = line.Trim();
            if (line.Length == 0) continue;
            if (line is "exit" or "quit") break;
            if (line == "history")
            {
                for (int i = 0; i < history.Count; i++) Console.Out.WriteLine($"{i + 1,5}  {history[i]}");
                continue;
            }
            history.Add(line);
            if (historyFile is not null) TryAppend(historyFile, line);
            string[] args;
            try { args = Split(line); }
            catch (FormatException e) { Console.Error.WriteLine($"pdm: {e.Message}"); continue; }
            if (args[0] == "help") args = args.Length > 1 ? [.. args[1..], "--help"] : ["--help"];
            if (args[0] == "shell") { Console.Error.WriteLine("pdm: already in the shell"); continue; }
            last = PdmCli.Run(args, Console);
            if (last != ExitCodes.Ok) Console.Error.WriteLine($"(exit status {last})");
        }
        return last;
    }

    private static void TryAppend(string file, string line)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.AppendAllLines(file, [line]);
        }
        catch (IOException) { } // history is a convenience, never a reason to fail
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Splits a line like a POSIX shell would for simple cases: spaces, '...' and "..." quotes, backslash escapes.</summary>
    public static string[] Split(string line)
    {
        var args = new List<string>();
        var current = new StringBuilder();
        bool inWord = false;
        char quote = '\0';
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else if (c == '\\' && quote == '"' && i + 1 < line.Length) current.Append(line[++i]);
                else current.Append(c);
            }
            else if (c is '\'' or '"') { quote = c; inWord = true; }
            else if (c == '\\' && i + 1 < line.Length) { current.Append(line[++i]); inWord = true; }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) { args.Add(current.ToString()); current.Clear(); inWord = false; }
            }
            else { current.Append(c); inWord = true; }
        }
        if (quote != '\0') throw new FormatException("unterminated quote");
        if (inWord) args.Add(current.ToString());
        return [.. args];
    }
}
