using System.Buffers.Binary;
using Pdm.Native;

namespace Pdm.Engine;

/// <summary>What a copy batch does with one entry.</summary>
public enum EntryAction : byte
{
    // Decoding accepts Copy through FixTargetMetadata: a new action goes last.
    Copy = 1,
    CopyReplacingDirectory = 2,
    /// <summary>As <see cref="FixTargetMetadata"/>, written by a pdm that did not record the target's inode.</summary>
    FixMetadata = 3,
    /// <summary>Copy; the scan saw a regular file, so the copier opens it without looking first.</summary>
    CopyFile = 4,
    /// <summary>As <see cref="CopyFile"/>, and the target had no entry of that name: the copy may be written unnamed.</summary>
    CreateFile = 5,
    /// <summary>Give an equal file the source's metadata in place; the entry carries the target inode the scan compared.</summary>
    FixTargetMetadata = 6,
}

/// <summary>One entry of a copy batch: a name in the batch's directory; for <see cref="EntryAction.FixTargetMetadata"/> the target's inode.</summary>
public sealed record CopyEntry(EntryAction Action, byte[] Name, long Size, FileId? Target = null)
{
    public bool FixesMetadata => Action is EntryAction.FixMetadata or EntryAction.FixTargetMetadata;
}

/// <summary>One entry of a link batch: a name to make a hardlink of the leader's copy (a path from the pass root).</summary>
public sealed record LinkEntry(byte[] Name, byte[] LeaderPath);

/// <summary>The binary payloads of batch work items: length-prefixed byte names, nothing decoded.</summary>
public static class BatchCodec
{
    public static byte[] EncodeCopies(IReadOnlyList<CopyEntry> entries)
    {
        var w = new Writer();
        w.Int(entries.Count);
        foreach (var e in entries)
        {
            w.Byte((byte)e.Action);
            w.Bytes(e.Name);
            w.Long(e.Size);
            if (e.Action != EntryAction.FixTargetMetadata) continue;
            var target = e.Target ?? throw new ArgumentException("fixing metadata needs the target's inode", nameof(entries));
            w.Long(unchecked((long)target.Dev));
            w.Long(unchecked((long)target.Ino));
        }
        return w.ToArray();
    }

    public static List<CopyEntry> DecodeCopies(byte[] payload)
    {
        var r = new Reader(payload);
        int n = r.Int();
        var list = new List<CopyEntry>(n);
        for (int i = 0; i < n; i++)
        {
            var action = (EntryAction)r.Byte();
            if (action is < EntryAction.Copy or > EntryAction.FixTargetMetadata) throw new InvalidDataException($"unknown entry action {(byte)action}");
            var entry = new CopyEntry(action, r.Name(), r.Long());
            if (action == EntryAction.FixTargetMetadata) entry = entry with { Target = new FileId(unchecked((ulong)r.Long()), unchecked((ulong)r.Long())) };
            list.Add(entry);
        }
        r.End();
        return list;
    }

    public static byte[] EncodeLinks(IReadOnlyList<LinkEntry> entries)
    {
        var w = new Writer();
        w.Int(entries.Count);
        foreach (var e in entries)
        {
            w.Bytes(e.Name);
            w.Bytes(e.LeaderPath);
        }
        return w.ToArray();
    }

    public static List<LinkEntry> DecodeLinks(byte[] payload)
    {
        var r = new Reader(payload);
        int n = r.Int();
        var list = new List<LinkEntry>(n);
        for (int i = 0; i < n; i++)
        {
            var name = r.Name();
            var leader = r.Bytes();
            if (!Native.ByteNames.IsValidRelativePath(leader) || leader.Length == 0)
                throw new InvalidDataException("invalid leader path in a link batch");
            list.Add(new LinkEntry(name, leader));
        }
        r.End();
        return list;
    }

    /// <summary>A plain list of names (delete batches).</summary>
    public static byte[] EncodeNames(IReadOnlyList<byte[]> names)
    {
        var w = new Writer();
        w.Int(names.Count);
        foreach (var n in names) w.Bytes(n);
        return w.ToArray();
    }

    public static List<byte[]> DecodeNames(byte[] payload)
    {
        var r = new Reader(payload);
        int n = r.Int();
        var list = new List<byte[]>(n);
        for (int i = 0; i < n; i++) list.Add(r.Name());
        r.End();
        return list;
    }

    /// <summary>A split file (an assemble item's payload), and, with a range, a range item's.</summary>
    public static byte[] EncodeSplitFile(SplitFile f, (long Offset, long Length)? range = null)
    {
        var w = new Writer();
        w.Bytes(f.Name);
        w.Long(f.Size);
        w.Long(unchecked((long)f.Source.Dev));
        w.Long(unchecked((long)f.Source.Ino));
        w.Long(f.Mtime.Seconds);
        w.Int(unchecked((int)f.Mtime.Nanoseconds));
        w.Long(f.Ctime.Seconds);
        w.Int(unchecked((int)f.Ctime.Nanoseconds));
        w.Byte(f.ReplaceDirectory ? (byte)1 : (byte)0);
        if (range is var (offset, length))
        {
            w.Long(offset);
            w.Long(length);
        }
        return w.ToArray();
    }

    public static SplitFile DecodeSplitFile(byte[] payload) => DecodeSplit(payload, withRange: false).File;

    public static (SplitFile File, long Offset, long Length) DecodeRange(byte[] payload)
    {
        var (file, offset, length) = DecodeSplit(payload, withRange: true);
        if (offset < 0 || length <= 0 || offset + length > file.Size) throw new InvalidDataException("a range outside its file");
        return (file, offset, length);
    }

    private static (SplitFile File, long Offset, long Length) DecodeSplit(byte[] payload, bool withRange)
    {
        var r = new Reader(payload);
        var file = new SplitFile(r.Name(), r.Long(), new FileId(unchecked((ulong)r.Long()), unchecked((ulong)r.Long())),
            new TimeNs(r.Long(), unchecked((uint)r.Int())), new TimeNs(r.Long(), unchecked((uint)r.Int())), r.Byte() != 0);
        long offset = withRange ? r.Long() : 0, length = withRange ? r.Long() : 0;
        r.End();
        return (file, offset, length);
    }

    private sealed class Writer
    {
        private readonly MemoryStream _s = new();
        public void Byte(byte b) => _s.WriteByte(b);
        public void Int(int v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, v); _s.Write(b); }
        public void Long(long v) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteInt64LittleEndian(b, v); _s.Write(b); }
        public void Bytes(byte[] v) { Int(v.Length); _s.Write(v); }
        public byte[] ToArray() => _s.ToArray();
    }

    /// <summary>Reads a payload back, checking every name: the ledger is not trusted with paths (GUIDE §4).</summary>
    private ref struct Reader(byte[] data)
    {
        private int _pos;
        private readonly ReadOnlySpan<byte> Take(int n)
        {
            if (n < 0 || _pos + n > data.Length) throw new InvalidDataException("truncated batch payload");
            return data.AsSpan(_pos, n);
        }
        public byte Byte() { var v = Take(1)[0]; _pos += 1; return v; }
        public int Int() { var v = BinaryPrimitives.ReadInt32LittleEndian(Take(4)); _pos += 4; return v; }
        public long Long() { var v = BinaryPrimitives.ReadInt64LittleEndian(Take(8)); _pos += 8; return v; }
        public byte[] Bytes() { int n = Int(); var v = Take(n).ToArray(); _pos += n; return v; }
        public byte[] Name()
        {
            var name = Bytes();
            if (!Native.ByteNames.IsValidName(name)) throw new InvalidDataException("invalid name in a batch payload");
            return name;
        }
        public readonly void End()
        {
            if (_pos != data.Length) throw new InvalidDataException("trailing bytes in a batch payload");
        }
    }
}

/// <summary>
/// Gathers entries into batches bounded by count and by bytes; an entry bigger than the byte bound
/// makes a batch of its own. A full batch is handed to <paramref name="onBatch"/> at once, so memory
/// stays bounded however big the directory.
/// </summary>
public sealed class BatchBuilder(int maxEntries, long maxBytes, Action<List<CopyEntry>> onBatch)
{
    private List<CopyEntry> _entries = [];
    private long _bytes;

    public int Count => _entries.Count;

    public void Add(CopyEntry entry)
    {
        long size = entry.FixesMetadata ? 0 : entry.Size;
        if (_entries.Count > 0 && _bytes + size > maxBytes) Flush();
        _entries.Add(entry);
        _bytes += size;
        if (_entries.Count >= maxEntries || _bytes >= maxBytes) Flush();
    }

    /// <summary>Hands out the partial batch, if any.</summary>
    public void Flush()
    {
        if (_entries.Count == 0) return;
        var batch = _entries;
        _entries = [];
        _bytes = 0;
        onBatch(batch);
    }
}
