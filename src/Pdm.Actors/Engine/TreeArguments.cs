using Pdm.Native;

namespace Pdm.Engine;

/// <summary>A source and target checked before anything is written, in canonical absolute form.</summary>
public sealed record TreePair(byte[] Source, byte[] Target, bool TargetExists)
{
    public string SourceText => ByteNames.Escape(Source);
    public string TargetText => ByteNames.Escape(Target);
}

/// <summary>Checks SRC and DST the way a user would expect, refusing with one line (exit 2).</summary>
public static class TreeArguments
{
    /// <param name="targetMustExist">delete, mtime and verify work on an existing target; a copy creates it.</param>
    public static TreePair Check(string source, string target, bool targetMustExist = false)
    {
        var src = Sys.RealPath(ByteNames.FromString(source), out int e);
        if (src is null)
            throw new UsageException(e == Errno.ENOENT ? $"source {source} does not exist" : $"source {source}: {Sys.ErrorMessage(e)}");
        if (Sys.TryStatPath(src, out var st) != 0 || st.Kind != EntryKind.Directory)
            throw new UsageException($"source {source} is not a directory");

        string full = Path.GetFullPath(target).TrimEnd('/');
        if (full.Length == 0) full = "/";
        byte[] dst;
        bool exists;
        var resolved = Sys.RealPath(ByteNames.FromString(full), out e);
        if (resolved is not null)
        {
            if (Sys.TryStatPath(resolved, out var tst) != 0 || tst.Kind != EntryKind.Directory)
                throw new UsageException($"target {target} exists and is not a directory");
            dst = resolved;
            exists = true;
        }
        else if (e == Errno.ENOENT && targetMustExist)
        {
            throw new UsageException($"target {target} does not exist");
        }
        else if (e == Errno.ENOENT)
        {
            string parent = Path.GetDirectoryName(full) ?? "/";
            var parentReal = Sys.RealPath(ByteNames.FromString(parent), out int pe);
            if (parentReal is null || Sys.TryStatPath(parentReal, out var pst) != 0 || pst.Kind != EntryKind.Directory)
                throw new UsageException($"target's parent directory {parent} does not exist");
            dst = ByteNames.Join(parentReal.AsSpan().SequenceEqual("/"u8) ? [] : parentReal, ByteNames.FromString(Path.GetFileName(full)));
            if (dst[0] != (byte)'/') dst = [(byte)'/', .. dst];
            exists = false;
        }
        else
        {
            throw new UsageException($"target {target}: {Sys.ErrorMessage(e)}");
        }

        switch (TreeOverlap.Of(src, dst, exists))
        {
            case Overlap.Same: throw new UsageException($"source and target are the same directory ({ByteNames.Escape(src)})");
            case Overlap.TargetInsideSource: throw new UsageException($"target {target} is inside the source {source}");
            case Overlap.SourceInsideTarget: throw new UsageException($"source {source} is inside the target {target}");
        }
        return new TreePair(src, dst, exists);
    }

    /// <summary>
    /// Refuses a ledger file inside the source or the target (also through another name for the same
    /// directory): in the source it would change the source and be copied, half-written, with it; in
    /// the target a delete pass would remove it while it runs, and a verify would report it.
    /// </summary>
    public static void CheckLedgerOutside(TreePair pair, string ledgerPath)
    {
        // Its directory, or, where that is yet to be made (the default ledger's), the nearest one that exists.
        string? directory = Path.GetDirectoryName(Path.GetFullPath(ledgerPath));
        byte[]? real = null;
        while (directory is not null && (real = Sys.RealPath(ByteNames.FromString(directory), out _)) is null)
            directory = Path.GetDirectoryName(directory);
        if (real is null) return;
        foreach (var (tree, name) in new[] { (pair.Source, "source"), (pair.Target, "target") })
        {
            if (name == "target" && !pair.TargetExists) continue; // made by the pass: no ledger can be in it yet
            if (TreeOverlap.Of(tree, real, targetExists: true) is Overlap.Same or Overlap.TargetInsideSource)
                throw new UsageException($"the ledger {ledgerPath} is inside the {name} {ByteNames.Escape(tree)}: give --ledger a path outside both trees");
        }
    }

    /// <summary>Creates the target directory (owner-only until the pass finalizes it).</summary>
    public static void CreateTarget(TreePair pair)
    {
        if (pair.TargetExists) return;
        int e = Sys.TryMkdir(pair.Target, 0x1C0);
        if (e != 0 && e != Errno.EEXIST) throw new UsageException($"cannot create target {pair.TargetText}: {Sys.ErrorMessage(e)}");
    }
}
