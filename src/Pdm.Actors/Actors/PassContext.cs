using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Actors;

/// <summary>
/// What a node holds open for one pass it works on: the roots of source and target, opened once
/// by the absolute paths the admin gave; every path below them is resolved from these descriptors.
/// </summary>
public sealed class PassContext : IDisposable
{
    public PassInfo Pass { get; }
    public int SourceRoot { get; }
    public int TargetRoot { get; }

    private PassContext(PassInfo pass, int sourceRoot, int targetRoot)
    {
        Pass = pass;
        SourceRoot = sourceRoot;
        TargetRoot = targetRoot;
    }

    public static PassContext Open(PassInfo pass)
    {
        int src = Sys.OpenAt(Flags.AT_FDCWD, pass.Source, Flags.O_RDONLY | Flags.O_DIRECTORY);
        try
        {
            int dst = Sys.OpenAt(Flags.AT_FDCWD, pass.Target, Flags.O_RDONLY | Flags.O_DIRECTORY);
            return new PassContext(pass, src, dst);
        }
        catch
        {
            Sys.Close(src);
            throw;
        }
    }

    public void Dispose()
    {
        Sys.Close(SourceRoot);
        Sys.Close(TargetRoot);
    }
}

/// <summary>Tuning of how work is cut into items.</summary>
public sealed record WorkLimits(int BatchEntries = 512, long BatchBytes = 64L << 20, int CheckpointEntries = 8192)
{
    public static readonly WorkLimits Default = new();
}
