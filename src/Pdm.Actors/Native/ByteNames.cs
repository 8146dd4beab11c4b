using System.Text;

namespace Pdm.Native;

/// <summary>File names and relative paths are bytes; these helpers join, check and print them.</summary>
public static class ByteNames
{
    /// <summary>dir + "/" + name, or name when dir is the root ("").</summary>
    public static byte[] Join(ReadOnlySpan<byte> dir, ReadOnlySpan<byte> name)
    {
        if (dir.IsEmpty) return name.ToArray();
        var result = new byte[dir.Length + 1 + name.Length];
        dir.CopyTo(result);
        result[dir.Length] = (byte)'/';
        name.CopyTo(result.AsSpan(dir.Length + 1));
        return result;
    }

    /// <summary>Splits "a/b/c" into "a/b" and "c" ("" and "c" for a top-level name).</summary>
    public static (byte[] Dir, byte[] Name) Split(ReadOnlySpan<byte> path)
    {
        int slash = path.LastIndexOf((byte)'/');
        return slash < 0 ? ([], path.ToArray()) : (path[..slash].ToArray(), path[(slash + 1)..].ToArray());
    }

    /// <summary>A single component the kernel could have given us: not empty, not "." or "..", no '/' or NUL.</summary>
    public static bool IsValidName(ReadOnlySpan<byte> name) =>
        name.Length is > 0 and <= 255 && !name.SequenceEqual("."u8) && !name.SequenceEqual(".."u8)
        && name.IndexOfAny((byte)'/', (byte)0) < 0;

    /// <summary>A relative path read back from the ledger: "" or valid names joined by '/'.</summary>
    public static bool IsValidRelativePath(ReadOnlySpan<byte> path)
    {
        if (path.IsEmpty) return true;
        foreach (var range in path.Split((byte)'/'))
            if (!IsValidName(path[range])) return false;
        return true;
    }

    /// <summary>
    /// A printable, unambiguous form: valid UTF-8 without control characters is kept; any other byte
    /// is shown as \xHH, and a backslash as \\ (the form `ls -b` and rsync use).
    /// </summary>
    public static string Escape(ReadOnlySpan<byte> path)
    {
        var sb = new StringBuilder(path.Length);
        while (!path.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(path, out Rune rune, out int consumed) == System.Buffers.OperationStatus.Done)
            {
                if (rune.Value == '\\') sb.Append(@"\\");
                else if (Rune.IsControl(rune)) sb.Append($"\\x{rune.Value:x2}");
                else sb.Append(rune.ToString());
                path = path[consumed..];
            }
            else
            {
                sb.Append($"\\x{path[0]:x2}");
                path = path[1..];
            }
        }
        return sb.ToString();
    }

    public static byte[] FromString(string s) => Encoding.UTF8.GetBytes(s);
}
