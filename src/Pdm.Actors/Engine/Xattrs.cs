using Pdm.Native;

namespace Pdm.Engine;

/// <summary>Extended attributes (POSIX ACLs among them: system.posix_acl_*) from one descriptor to another.</summary>
public static class Xattrs
{
    /// <summary>
    /// Gives <paramref name="targetFd"/> the source's attributes; with <paramref name="removeExtra"/>
    /// it also drops attributes the source does not have. Throws on the first attribute it cannot set.
    /// </summary>
    public static void Copy(int sourceFd, int targetFd, bool removeExtra)
    {
        byte[] names = Sys.ListXattrs(sourceFd);
        foreach (var range in Names(names))
        {
            var name = names.AsSpan(range);
            var value = Sys.GetXattr(sourceFd, name);
            if (value is null) continue; // removed meanwhile
            if (removeExtra && Sys.GetXattr(targetFd, name) is { } current && current.AsSpan().SequenceEqual(value)) continue;
            Sys.SetXattr(targetFd, name, value);
        }
        if (!removeExtra) return;
        byte[] existing = Sys.ListXattrs(targetFd);
        foreach (var range in Names(existing))
        {
            var name = existing.AsSpan(range);
            if (!Contains(names, name)) Sys.RemoveXattr(targetFd, name);
        }
    }

    /// <summary>
    /// Whether entries created in directory <paramref name="dirFd"/> inherit from it: a directory with a
    /// default ACL gives each new entry an access ACL made from it, and a mode masked by it instead of
    /// by the umask (a minimal one, such as o::---, changes only the mode). A copy made there must
    /// have its mode set and its attributes made the source's, extra ones removed. Where the answer
    /// is an error, that is done too: it is right either way, only dearer.
    /// </summary>
    public static bool GivesDefaultAcl(int dirFd) =>
        Sys.ProbeXattr(dirFd, "system.posix_acl_default\0"u8) is not (Errno.ENODATA or Errno.EOPNOTSUPP);

    /// <summary>Whether both descriptors carry the same attributes with the same values.</summary>
    public static bool Same(int a, int b)
    {
        byte[] an = Sys.ListXattrs(a), bn = Sys.ListXattrs(b);
        var aNames = Names(an);
        if (aNames.Count != Names(bn).Count) return false;
        foreach (var range in aNames)
        {
            var name = an.AsSpan(range);
            var va = Sys.GetXattr(a, name);
            var vb = Sys.GetXattr(b, name);
            if (va is null || vb is null || !va.AsSpan().SequenceEqual(vb)) return false;
        }
        return true;
    }

    private static List<Range> Names(byte[] list)
    {
        var result = new List<Range>();
        int start = 0;
        for (int i = 0; i < list.Length; i++)
        {
            if (list[i] != 0) continue;
            if (i > start) result.Add(new Range(start, i));
            start = i + 1;
        }
        return result;
    }

    private static bool Contains(byte[] list, ReadOnlySpan<byte> name)
    {
        foreach (var range in Names(list))
            if (list.AsSpan(range).SequenceEqual(name)) return true;
        return false;
    }
}
