using Pdm.Configuration;
using Pdm.Ledger;

namespace Pdm.Engine;

/// <summary>
/// Admits a pass, the same way wherever it is submitted (in `pdm`, or on the node a cluster client
/// reached): SRC DST as plain paths or FS:PATH, or FS FS PATH; the checks that refuse bad input and
/// writes to a filesystem not marked writable (exit 2, before anything is written); then the pass in
/// the ledger: the unfinished one of the same kind, trees and options, or a new one.
/// </summary>
public static class PassAdmission
{
    public sealed record Admitted(PassInfo Pass, bool Resumed, TreePair Trees);

    /// <summary>Checks the trees; nothing is written. <paramref name="inCluster"/>: a node admits it for the cluster.</summary>
    public static TreePair Check(PdmConfig config, PassKind kind, IReadOnlyList<string> paths, PassOptions options, bool inCluster = false)
    {
        var (source, target) = Paths(config, paths);
        var pair = TreeArguments.Check(source, target, targetMustExist: kind != PassKind.Copy);
        if (OutsideNamedFilesystems(config, pair.Source, pair.Target, inCluster) is { } why) throw new UsageException(why);
        if (Writes(kind, options))
        {
            config.CheckWritable(pair.Target, "to target");
            // Every write would fail: refused now rather than recorded for each file.
            if (pair.TargetExists && Native.Sys.CheckWritable(pair.Target) == Native.Errno.EROFS)
                throw new UsageException($"target {pair.TargetText} is on a read-only filesystem");
        }
        return pair;
    }

    /// <summary>Finds or creates the pass (and a copy's target directory) once <see cref="Check"/> has passed.</summary>
    public static Admitted Admit(ILedger ledger, PassKind kind, TreePair pair, PassOptions options)
    {
        if (Writes(kind, options) && kind == PassKind.Copy) TreeArguments.CreateTarget(pair);
        // Running the same command again carries on the pass it left unfinished.
        var existing = ledger.FindUnfinishedPass(kind, pair.Source, pair.Target, options);
        var pass = existing ?? ledger.GetPass(ledger.CreatePass(kind, pair.Source, pair.Target, options))!;
        return new Admitted(pass, existing is not null, pair);
    }

    /// <summary>
    /// Why a node with this config will not work on a pass found in the ledger, or null: every node
    /// enforces the writable flags of its own config, whoever admitted the pass.
    /// </summary>
    public static string? RefusedByNode(PdmConfig config, PassInfo pass, bool inCluster)
    {
        if (OutsideNamedFilesystems(config, pass.Source, pass.Target, inCluster) is { } why) return why;
        if (!Writes(pass.Kind, pass.Options)) return null;
        return config.Containing(pass.Target) is { Writable: false } fs
            ? $"its target {Native.ByteNames.Escape(pass.Target)} is on filesystem '{fs.Name}' ({fs.MountText}), which {config.File} does not mark writable"
            : null;
    }

    /// <summary>
    /// Why this config keeps pdm off these trees, or null: a config that names filesystems keeps it
    /// inside them (both trees), and a cluster node whose config names none takes no pass, unless the
    /// config says allow-any-path = true. A node of a cluster acts for whoever holds the admin's
    /// certificate: the named filesystems are where its admin lets it act.
    /// </summary>
    public static string? OutsideNamedFilesystems(PdmConfig config, byte[] source, byte[] target, bool inCluster)
    {
        if (config.AllowAnyPath) return null;
        if (config.Filesystems.Count == 0)
            return inCluster
                ? $"this node's config ({config.File ?? "none"}) names no filesystems: a cluster node works only inside named filesystems (or with allow-any-path = true)"
                : null;
        foreach (var (what, path) in new[] { ("source", source), ("target", target) })
            if (config.Containing(path) is null)
                return $"the {what} {Native.ByteNames.Escape(path)} lies outside every filesystem named in {config.File}";
        return null;
    }

    /// <summary>Whether a pass of this kind writes to its target.</summary>
    public static bool Writes(PassKind kind, PassOptions options) => kind != PassKind.Verify && !options.DryRun;

    private static (string Source, string Target) Paths(PdmConfig config, IReadOnlyList<string> paths)
    {
        if (paths.Count == 2) return (config.Resolve(paths[0]), config.Resolve(paths[1]));
        if (paths.Count != 3) throw new UsageException("give SRC DST, or FS FS PATH");
        // pdm copy panda badger /projects: the same path on two named filesystems
        foreach (var fs in paths.Take(2))
            if (!config.Filesystems.ContainsKey(fs))
                throw new UsageException(config.File is null
                    ? $"'{fs}' is not a named filesystem: there is no config (give --config FILE)"
                    : $"'{fs}' is not a filesystem named in {config.File}");
        return (config.Resolve($"{paths[0]}:{paths[2]}"), config.Resolve($"{paths[1]}:{paths[2]}"));
    }
}
