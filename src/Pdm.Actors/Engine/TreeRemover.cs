using Pdm.Native;

namespace Pdm.Engine;

/// <summary>
/// Removes an entry of the target, a whole tree if it is a directory, through descriptors only. It
/// walks down with a stack of its own, not by recursion: a tree of any depth fits in any thread's stack.
/// </summary>
public static class TreeRemover
{
    /// <summary>Removes <paramref name="name"/> in <paramref name="dirFd"/>; throws on failure. A missing entry is fine.</summary>
    public static void Remove(int dirFd, ReadOnlySpan<byte> name)
    {
        int e = Sys.TryStat(dirFd, name, out var st);
        if (e == Errno.ENOENT) return;
        if (e != 0) throw new PosixException("lstat", e);
        if (st.Kind != EntryKind.Directory)
        {
            Unlink(dirFd, name, directory: false);
            return;
        }
        var levels = new Stack<Level>();
        try
        {
            levels.Push(Level.Open(dirFd, name.ToArray(), st));
            while (levels.Count > 0)
            {
                var level = levels.Peek();
                if (level.NextChild() is { } child)
                {
                    e = Sys.TryStat(level.Fd, child, out var cst);
                    if (e == Errno.ENOENT) continue;
                    if (e != 0) throw new PosixException("lstat", e);
                    if (cst.Kind == EntryKind.Directory) levels.Push(Level.Open(level.Fd, child, cst));
                    else Unlink(level.Fd, child, directory: false);
                    continue;
                }
                levels.Pop().Dispose(); // emptied
                Unlink(level.ParentFd, level.Name, directory: true);
            }
        }
        finally
        {
            while (levels.Count > 0) levels.Pop().Dispose();
        }
    }

    private static void Unlink(int dirFd, ReadOnlySpan<byte> name, bool directory)
    {
        int e = Sys.TryUnlinkAt(dirFd, name, directory);
        if (e != 0 && e != Errno.ENOENT) throw new PosixException("unlink", e);
    }

    /// <summary>A directory being emptied: its descriptor, and the names read from it not yet removed.</summary>
    private sealed class Level : IDisposable
    {
        private const int ChunkNames = 4096;
        private readonly DirectoryReader _reader;
        private readonly List<byte[]> _chunk = new(ChunkNames);
        private int _next;

        public int ParentFd { get; }
        public byte[] Name { get; }
        public int Fd { get; }

        private Level(int parentFd, byte[] name, int fd)
        {
            ParentFd = parentFd;
            Name = name;
            Fd = fd;
            _reader = new DirectoryReader(fd);
        }

        /// <summary>Opens the directory (never through a symlink swapped in since it was looked at).</summary>
        public static Level Open(int parentFd, byte[] name, in FileStat st)
        {
            int fd = Sys.OpenAt(parentFd, name, Sys.DirectoryOpenFlags);
            try
            {
                // A 0500 directory of an earlier copy still has to be emptied.
                if (!Sys.IsRoot && (st.Mode & 0x1C0) != 0x1C0) Sys.Fchmod(fd, st.Mode | 0x1C0);
                return new Level(parentFd, name, fd);
            }
            catch
            {
                Sys.Close(fd);
                throw;
            }
        }

        /// <summary>
        /// The next name to remove, or null once the directory is empty. Names are read a bounded chunk
        /// at a time, each chunk from the start again: no cookie goes stale under the removals, and
        /// memory stays bounded however big the directory.
        /// </summary>
        public byte[]? NextChild()
        {
            if (_next < _chunk.Count) return _chunk[_next++];
            _chunk.Clear();
            _next = 0;
            _reader.Seek(0);
            while (_chunk.Count < ChunkNames && _reader.Next(out var child, out _)) _chunk.Add(child.ToArray());
            return _chunk.Count > 0 ? _chunk[_next++] : null;
        }

        public void Dispose()
        {
            _reader.Dispose();
            Sys.Close(Fd);
        }
    }
}
