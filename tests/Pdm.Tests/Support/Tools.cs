using System.Diagnostics;

namespace Pdm.Tests.Support;

/// <summary>The shared tools beside the repository (../shared/bench) and the pdm command built with the tests.</summary>
public static class Tools
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Bench { get; } = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "bench"));

    /// <summary>
    /// The `pdm` the build leaves in src/Pdm.Shell/bin/CONFIGURATION/net10.0 (the one the README names;
    /// in Release precompiled for this machine), not the copy in the tests' own output. $PDM_UNDER_TEST
    /// names another build instead (an older pdm, to see that a new test fails on it).
    /// </summary>
    public static string Pdm { get; } = Environment.GetEnvironmentVariable("PDM_UNDER_TEST") ?? Path.Combine(FindRepoRoot(), "src", "Pdm.Shell", "bin",
        new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "pdm");

    public static bool IsRoot { get; } = Environment.UserName == "root";

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Pdm.sln"))) return dir.FullName;
        throw new InvalidOperationException("Pdm.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>mktree.py PROFILE ROOT --seed 1 --scale X.</summary>
    public static void MakeTree(string profile, string root, double scale, int seed = 1)
    {
        var r = Run("python3", [Path.Combine(Bench, "mktree.py"), profile, root, "--seed", seed.ToString(), "--scale", scale.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(r.ExitCode == 0, $"mktree {profile} failed: {r.Stderr}");
    }

    /// <summary>treediff.py SRC DST: asserts the trees are identical, content and metadata.</summary>
    public static void AssertTreesEqual(string source, string target, params string[] skip)
    {
        var args = new List<string> { Path.Combine(Bench, "treediff.py"), source, target };
        if (skip.Length > 0) { args.Add("--skip"); args.AddRange(skip); }
        var r = Run("python3", [.. args]);
        Assert.True(r.ExitCode == 0, $"treediff reports differences:\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains(" 0 differences", r.Stdout);
    }

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(string file, string[] args, TimeSpan? timeout = null, string? stdin = null, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish");
        }
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The unprivileged user tests act as (nobody), and Debian's own Python, which that user can run.</summary>
    public const int Nobody = 65534;

    public const string SystemPython = "/usr/bin/python3";

    /// <summary>The arguments that run <paramref name="args"/> as nobody, through setpriv.</summary>
    public static string[] AsNobody(params string[] args) =>
        ["--reuid=" + Nobody, "--regid=" + Nobody, "--clear-groups", .. args];

    /// <summary>lstat's mode, owner and three times of a path, as `stat` prints them: equal before and after means untouched (ctime moves on any chmod, chown or utimens).</summary>
    public static string StatLine(string path) => Run("stat", ["-c", "%a %u:%g %x %y %z", path]).Stdout;

    /// <summary>Runs the real `pdm` command.</summary>
    public static Result Pdm_(params string[] args) => Run(Pdm, args);

    /// <summary>Every entry below root with its type, size, mode, owner and mtime: equal before and after means nothing was written.</summary>
    public static string Listing(string root) =>
        Run("find", [root, "-printf", "%y %s %m %U:%G %T@ %P\n"]).Stdout;

    /// <summary>
    /// Starts `pdm` in the background (for tests that signal or control it); its output is drained so it
    /// never blocks on a full pipe. SIGINT is given back its default first, as a terminal's Ctrl-C finds
    /// it: started from a background job of a shell (`tests/run &`), the test host and every child
    /// inherit it ignored, and pdm, like any Unix program, keeps ignoring it then.
    /// </summary>
    public static Process Start(params string[] args) => StartWith(new Dictionary<string, string>(), args);

    /// <summary><see cref="Start"/> with these environment variables set.</summary>
    public static Process StartWith(IDictionary<string, string> env, params string[] args)
    {
        var psi = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env) psi.Environment[k] = v;
        psi.ArgumentList.Add("--default-signal=INT");
        psi.ArgumentList.Add(Pdm); // env execs it: the same process id
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        _ = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        return p;
    }

    /// <summary>Waits until <paramref name="condition"/> holds (polling), failing after <paramref name="seconds"/>.</summary>
    public static void WaitFor(Func<bool> condition, string what, int seconds = 60)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, $"timed out waiting for {what}");
            Thread.Sleep(20);
        }
    }

    /// <summary>Every path below root whose name starts with pdm's temporary prefix.</summary>
    public static List<string> Temporaries(string root)
    {
        var r = Run("find", [root, "-name", ".pdm-tmp.*"]);
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }
}
