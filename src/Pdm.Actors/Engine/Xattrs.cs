using Pdm.Native;

namespace Pdm.Engine;

/// <summary>What becomes of the target's attributes that the source does not have.</summary>
public enum ExtraXattrs
{
    /// <summary>Left alone: a new entry has none, unless a default ACL of its directory gave it one.</summary>
    Keep,
    /// <summary>
    /// POSIX ACLs removed: those a default ACL gave a new entry. Anything else stays, such as the
    /// security label the kernel gives every new entry under SELinux, which nobody may remove.
    /// </summary>
    RemoveAcls,
    /// <summary>All removed: an existing entry is made the source's.</summary>
    Remove,
}

/// <summary>Extended attributes (POSIX ACLs among them: system.posix_acl_*) from one descriptor to another.</summary>
public static class Xattrs
{
    /// <summary>
    /// Gives <paramref name="targetFd"/> the source's attributes, and drops the target's others as
    /// <paramref name="extra"/> says. Throws on the first attribute it cannot set.
    /// </summary>
    public static void Copy(int sourceFd, int targetFd, ExtraXattrs extra)
    {
        byte[] names = Sys.ListXattrs(sourceFd);
        foreach (var range in Names(names))
        {
            var name = names.AsSpan(range);
            var value = Sys.GetXattr(sourceFd, name);
            if (value is null) continue; // removed meanwhile
            if (extra != ExtraXattrs.Keep && Sys.GetXattr(targetFd, name) is { } current && current.AsSpan().SequenceEqual(value)) continue;
            Sys.SetXattr(targetFd, name, value);
        }
        if (extra == ExtraXattrs.Keep) return;
        byte[] existing = Sys.ListXattrs(targetFd);
        foreach (var range in Names(existing))
        {
            var name = existing.AsSpan(range);
            if (Contains(names, name)) continue;
            if (extra == ExtraXattrs.Remove || name.StartsWith("system.posix_acl_"u8)) Sys.RemoveXattr(targetFd, name);
        }
    }

    /// <summary>
    /// Whether entries created in directory <paramref name="dirFd"/> inherit from it: a directory
    /// with a default ACL gives each new entry an access ACL made from it, and a mode masked by it
    /// instead of by the umask (a minimal one, such as o::---, changes only the mode). A copy made
    /// there must have its mode set and the ACLs it inherited removed (<see
    /// cref="ExtraXattrs.RemoveAcls"/>). Where the answer is an error, that is done too: it is
    /// right either way, only dearer.
    /// </summary>
    public static bool GivesDefaultAcl(int dirFd) =>
        Sys.ProbeXattr(dirFd, "system.posix_acl_default"u8) is not (Errno.ENODATA or Errno.EOPNOTSUPP);

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
