using System.Diagnostics;

namespace Pdm.Tests.Support;

/// <summary>A scratch directory for one test, removed afterwards (modes such as 0500 and 0000 included).</summary>
public sealed class TempTree : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("pdm-test-").FullName;

    private readonly List<string> _mounts = [];

    public TempTree() { }

    /// <summary>
    /// A scratch directory that is a tmpfs of its own (as root), for tests that make and copy trees of
    /// hundreds of thousands of files: on this machine's ext4 (mounted with `discard`) removing them
    /// took 25-35 s a test, and the trees made after a removal are made slowly (GUIDE §8). A tmpfs
    /// goes at once and has what the trees need (xattrs, POSIX ACLs, nanosecond times, O_TMPFILE).
    /// </summary>
    public static TempTree OnTmpfs(string size = "8g")
    {
        var tree = new TempTree();
        var mount = Tools.Run("mount", ["-t", "tmpfs", "-o", $"size={size},mode=0700", "tmpfs", tree.Root]);
        Assert.True(mount.ExitCode == 0, "mount: " + mount.Stderr);
        tree._mounts.Add(tree.Root);
        return tree;
    }

    public string this[string relative] => Path.Combine(Root, relative);

    /// <summary>Mounts a tmpfs (as root) at <paramref name="relative"/>, unmounted on dispose; returns its path.</summary>
    public string MountTmpfs(string relative, string options)
    {
        string path = this[relative];
        Directory.CreateDirectory(path);
        var mount = Tools.Run("mount", ["-t", "tmpfs", "-o", options, "tmpfs", path]);
        Assert.True(mount.ExitCode == 0, "mount: " + mount.Stderr);
        _mounts.Insert(0, path);
        return path;
    }

    /// <summary>
    /// Mounts a new ext4 of <paramref name="mebibytes"/> MiB (as root, on a loop device over an image
    /// beside it) at <paramref name="relative"/>, unmounted on dispose; returns its path. For what
    /// needs a filesystem on a block device wherever the scratch directory lives (tmpfs, say).
    /// <paramref name="mkfsOptions"/> go to mkfs.ext4 ("-I", "128": inodes without room for sub-second times).
    /// </summary>
    public string MountExt4(string relative, int mebibytes, params string[] mkfsOptions)
    {
        string path = this[relative], image = path + ".img";
        Directory.CreateDirectory(path);
        using (var f = File.Create(image)) f.SetLength((long)mebibytes << 20);
        var mkfs = Tools.Run("mkfs.ext4", ["-q", "-F", .. mkfsOptions, image]);
        Assert.True(mkfs.ExitCode == 0, "mkfs.ext4: " + mkfs.Stderr);
        var mount = Tools.Run("mount", ["-o", "loop", image, path]);
        Assert.True(mount.ExitCode == 0, "mount: " + mount.Stderr);
        _mounts.Insert(0, path);
        return path;
    }

    /// <summary>Bind-mounts <paramref name="from"/> at <paramref name="relative"/> (as root), unmounted on dispose; returns its path.</summary>
    public string BindMount(string from, string relative)
    {
        string path = this[relative];
        Directory.CreateDirectory(path);
        var mount = Tools.Run("mount", ["--bind", from, path]);
        Assert.True(mount.ExitCode == 0, "mount --bind: " + mount.Stderr);
        _mounts.Insert(0, path); // unmounted before what it was made on
        return path;
    }

    public void Dispose()
    {
        foreach (var mount in _mounts) Run("umount", "-l", mount);
        Run("chattr", "-R", "-i", Root);
        Run("chmod", "-R", "u+rwx", Root);
        // not Directory.Delete: .NET cannot name files whose names are not UTF-8, nor very long paths
        Run("rm", "-rf", Root);
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            // Drained as they come: chattr -R says something about every fifo and device, and a full pipe would stop it.
            var drained = Task.WhenAll(p.StandardOutput.ReadToEndAsync(), p.StandardError.ReadToEndAsync());
            p.WaitForExit();
            drained.Wait();
        }
        catch (System.ComponentModel.Win32Exception) { }
    }
}
