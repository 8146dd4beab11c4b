using System.Diagnostics;

namespace Pdm.Tests.Support;

/// <summary>A scratch directory for one test, removed afterwards (modes such as 0500 and 0000 included).</summary>
public sealed class TempTree : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("pdm-test-").FullName;

    public string this[string relative] => Path.Combine(Root, relative);

    public void Dispose()
    {
        Run("chattr", "-R", "-i", Root);
        Run("chmod", "-R", "u+rwx", Root);
        Run("umount", "-l", Path.Combine(Root, "ro"));
        // not Directory.Delete: .NET cannot name files whose names are not UTF-8, nor very long paths
        Run("rm", "-rf", Root);
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try { using var p = Process.Start(psi)!; p.WaitForExit(); } catch (System.ComponentModel.Win32Exception) { }
    }
}
