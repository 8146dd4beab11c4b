using Pdm.Native;

namespace Pdm.Engine;

/// <summary>Removes an entry of the target, a whole tree if it is a directory, through descriptors only.</summary>
public static class TreeRemover
{
    /// <summary>Removes <paramref name="name"/> in <paramref name="dirFd"/>; throws on failure. A missing entry is fine.</summary>
    public static void Remove(int dirFd, ReadOnlySpan<byte> name)
    {
        int e = Sys.TryStat(dirFd, name, out var st);
        if (e == Errno.ENOENT) return;
        if (e != 0) throw new PosixException("lstat", e);
        if (st.Kind == EntryKind.Directory)
        {
            int fd = Sys.OpenAt(dirFd, name, Flags.O_RDONLY | Flags.O_DIRECTORY);
            try
            {
                // A 0500 directory of an earlier copy still has to be emptied.
                if (!Sys.IsRoot && (st.Mode & 0x1C0) != 0x1C0) Sys.Fchmod(fd, st.Mode | 0x1C0);
                // Read a bounded chunk of names, remove them, read again from the start: no cookie goes
                // stale under our removals, and memory stays bounded however big the directory.
                using var reader = new DirectoryReader(fd);
                var chunk = new List<byte[]>();
                do
                {
                    chunk.Clear();
                    reader.Seek(0);
                    while (chunk.Count < 4096 && reader.Next(out var child, out _)) chunk.Add(child.ToArray());
                    foreach (var child in chunk) Remove(fd, child);
                }
                while (chunk.Count > 0);
            }
            finally
            {
                Sys.Close(fd);
            }
        }
        e = Sys.TryUnlinkAt(dirFd, name, st.Kind == EntryKind.Directory);
        if (e != 0 && e != Errno.ENOENT) throw new PosixException("unlink", e);
    }
}
