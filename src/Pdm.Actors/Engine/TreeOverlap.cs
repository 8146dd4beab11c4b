using System.Text;
using Pdm.Native;

namespace Pdm.Engine;

/// <summary>How a pass's source and target lie to each other.</summary>
public enum Overlap { None, Same, TargetInsideSource, SourceInsideTarget }

/// <summary>
/// Whether two directories overlap, decided by identity, not by the paths' text: a bind mount, a
/// second mount of the same filesystem or a symlinked path reaches the same directory under another
/// name, and a copy into its own source never ends. Two ways, either of which refuses:
/// <list type="bullet">
/// <item>the (st_dev, st_ino) of each directory against those of every ancestor of the other, walking
/// "..", which crosses mount points as the kernel does;</item>
/// <item>where each lies within its filesystem (/proc/self/mountinfo gives every mount's root within
/// its filesystem): a bind mount of a subdirectory has no ".." back into the tree it came from, but its
/// place in the filesystem still shows that it is inside the other.</item>
/// </list>
/// </summary>
public static class TreeOverlap
{
    /// <param name="source">an existing directory, canonical absolute path</param>
    /// <param name="target">canonical absolute path; if it does not exist yet, its parent does</param>
    public static Overlap Of(byte[] source, byte[] target, bool targetExists)
    {
        var sourceChain = Ancestors(source);
        var targetChain = Ancestors(targetExists ? target : ParentOf(target));
        if (targetExists && sourceChain[0] == targetChain[0]) return Overlap.Same;
        // A target not made yet is inside whatever its parent is inside.
        if (targetChain.Contains(sourceChain[0])) return Overlap.TargetInsideSource;
        if (targetExists && sourceChain.Contains(targetChain[0])) return Overlap.SourceInsideTarget;

        var mounts = MountTable.Read();
        if (mounts is null) return Overlap.None;
        var sourcePlaces = mounts.Places(source);
        var targetPlaces = mounts.Places(target);
        if (sourcePlaces.Count == 0 || targetPlaces.Count == 0) return Overlap.None;
        if (targetExists && sourcePlaces[0] == targetPlaces[0]) return Overlap.Same;
        if (targetPlaces.Any(p => p.IsWithin(sourcePlaces[0]))) return Overlap.TargetInsideSource;
        if (targetExists && sourcePlaces.Any(p => p.IsWithin(targetPlaces[0]))) return Overlap.SourceInsideTarget;
        return Overlap.None;
    }

    private static byte[] ParentOf(byte[] path)
    {
        int slash = path.AsSpan().LastIndexOf((byte)'/');
        return slash <= 0 ? "/"u8.ToArray() : path[..slash];
    }

    /// <summary>The identities of a directory and of each directory above it, up to the root, by "..".</summary>
    private static List<FileId> Ancestors(byte[] path)
    {
        var chain = new List<FileId>();
        int fd = Sys.OpenAt(Flags.AT_FDCWD, path, Flags.O_PATH | Flags.O_DIRECTORY);
        try
        {
            while (true)
            {
                var id = Sys.Fstat(fd).Id;
                if (chain.Count > 0 && chain[^1] == id) return chain; // ".." of the root is the root
                chain.Add(id);
                int parent = Sys.OpenAt(fd, ".."u8, Flags.O_PATH | Flags.O_DIRECTORY);
                Sys.Close(fd);
                fd = parent;
            }
        }
        finally
        {
            Sys.Close(fd);
        }
    }
}

/// <summary>Where a directory lies within its filesystem: the filesystem's device and the path from its root.</summary>
internal readonly record struct FilesystemPlace(string Device, string Path)
{
    public bool IsWithin(FilesystemPlace outer) =>
        Device == outer.Device && (Path == outer.Path || outer.Path == "/" || Path.StartsWith(outer.Path + "/", StringComparison.Ordinal));
}

/// <summary>The mounts of this process's namespace, from /proc/self/mountinfo.</summary>
internal sealed class MountTable
{
    private sealed record Mount(int Id, int Parent, string Device, string Root, string MountPoint);

    private readonly List<Mount> _mounts;

    private MountTable(List<Mount> mounts) => _mounts = mounts;

    /// <summary>The table, or null where /proc is not mounted.</summary>
    public static MountTable? Read()
    {
        string[] lines;
        try { lines = File.ReadAllLines("/proc/self/mountinfo"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        var mounts = new List<Mount>();
        foreach (var line in lines)
        {
            // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
            var f = line.Split(' ');
            if (f.Length < 5 || !int.TryParse(f[0], out int id) || !int.TryParse(f[1], out int parent)) continue;
            mounts.Add(new Mount(id, parent, f[2], Unescape(f[3]), Unescape(f[4])));
        }
        return new MountTable(mounts);
    }

    /// <summary>
    /// Where <paramref name="path"/> lies in its own filesystem, then where the mount point of each mount
    /// below it lies in the filesystem under that: one place per filesystem on the way to the root.
    /// </summary>
    public List<FilesystemPlace> Places(byte[] path)
    {
        var places = new List<FilesystemPlace>();
        string p = Encoding.UTF8.GetString(path);
        // The mount at the longest mount point above the path; of several there, the last made (on top).
        Mount? mount = null;
        foreach (var m in _mounts)
            if (IsBelow(p, m.MountPoint) && (mount is null || m.MountPoint.Length >= mount.MountPoint.Length)) mount = m;
        for (int hops = 0; mount is not null && hops < 64; hops++)
        {
            places.Add(new FilesystemPlace(mount.Device, Join(mount.Root, p[mount.MountPoint.TrimEnd('/').Length..])));
            var parent = _mounts.LastOrDefault(m => m.Id == mount.Parent && m.Id != mount.Id);
            p = mount.MountPoint;
            mount = parent;
        }
        return places;
    }

    private static bool IsBelow(string path, string mountPoint) =>
        mountPoint == "/" || path == mountPoint || path.StartsWith(mountPoint + "/", StringComparison.Ordinal);

    private static string Join(string root, string rest) =>
        rest.Length == 0 ? root : root == "/" ? rest : root + rest;

    /// <summary>mountinfo writes space, tab, newline and backslash as \ooo.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var sb = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && field.Substring(i + 1, 3).All(c => c is >= '0' and <= '7'))
            {
                sb.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else sb.Append(field[i]);
        }
        return sb.ToString();
    }
}
