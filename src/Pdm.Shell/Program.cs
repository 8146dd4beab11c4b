using System.CommandLine;
using Pdm.Shell;
using Pdm.Shell.Commands;

// pdm runs on Linux only: its engine is a layer of Linux system calls.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

using var startup = StartupProfile.Start(args); // JIT work of the last run, done ahead on another core
int exit = PdmCli.Run(args, new SystemConsoleIO());
if (exit == ExitCodes.Usage) startup?.Discard(); // a mistyped or refused command leaves no profile of itself
return exit;

namespace Pdm.Shell
{
    /// <summary>The `pdm` command line: one class per command, exit codes as documented.</summary>
    public static class PdmCli
    {
        public static int Run(string[] args, IConsoleIO console)
        {
            var root = new RootCommand($"""
                pdm, the parallel data mover: copies directory trees byte-exact with all their metadata,
                resumably, on an embedded ledger (or a cluster of mover nodes). A migration: copy (again and
                again while users work), then delete, mtime and verify on downtime day.

                {ExitCodes.Help}
                """);
            foreach (var command in new PdmCommand[]
                     {
                         new CopyCommand(console), new DeleteCommand(console), new MtimeCommand(console), new VerifyCommand(console),
                         new PassesCommand(console), new StatusCommand(console), new FailuresCommand(console),
                         new PauseCommand(console), new ResumeCommand(console), new CancelCommand(console), new NodesCommand(console), new ClusterCommand(console),
                         new LedgerCommand(console), new ShellCommand(console),
                     })
                root.Subcommands.Add(command.Build());
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                console.Error.WriteLine($"pdm: {parse.Errors[0].Message} (see pdm --help)");
                return ExitCodes.Usage;
            }
            return parse.Invoke(new InvocationConfiguration
            {
                ProcessTerminationTimeout = null, // pdm stops cleanly on its own
                EnableDefaultExceptionHandler = true,
                Output = console.Out,
                Error = console.Error,
            });
        }
    }
}
