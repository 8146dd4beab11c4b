using Akka.Actor;
using Pdm.Engine;
using Pdm.Ledger;
using Pdm.Native;
using Akka.Event;

namespace Pdm.Actors;

/// <summary>
/// Copies big files in byte ranges (<see cref="SplitFile"/>): a range item copies its bytes into the
/// file's temporary, wherever it runs; the file's assemble item, ready once all its ranges are done,
/// applies the metadata and renames the file into place, and counts it. A range that fails reports it
/// (the ledger marks its assemble, which then removes the temporary instead). An actor on one of the
/// node's worker threads, fed range and assemble items by the node's feeder (<see cref="WorkerActor"/>).
/// </summary>
public sealed class SplitFileActor(NodeContext node) : WorkerActor(node)
{
    private readonly KernelCopy _kernelCopy = new();
    private readonly Akka.Event.ILoggingAdapter _log = Akka.Event.Logging.GetLogger(Context);

    public static Props Props(NodeContext node) => Akka.Actor.Props.Create(() => new SplitFileActor(node));

    protected override ItemOutcome Run(PassContext ctx, WorkItem item, CancellationToken stop)
    {
        var outcome = new ItemOutcome();
        byte[] payload = item.Payload ?? throw new InvalidDataException($"a {LedgerNames.WorkKindName(item.Kind)} item without payload");
        var (file, offset, length) = item.Kind switch
        {
            WorkKind.Range => BatchCodec.DecodeRange(payload),
            WorkKind.Assemble => (BatchCodec.DecodeSplitFile(payload), 0, 0),
            _ => throw new InvalidDataException($"a {LedgerNames.WorkKindName(item.Kind)} item is not a split file's"),
        };
        byte[] path = ByteNames.Join(item.Dir, file.Name);
        // The temporary is named after the assemble item: a range's parent, or the item itself.
        long assembleId = item.Kind == WorkKind.Range ? item.ParentId ?? throw new InvalidDataException("a range without its assemble item") : item.Id;
        Span<byte> buffer = stackalloc byte[FileCopier.TemporaryNameMax];
        var temp = SplitFileCopier.TemporaryName(assembleId, buffer);
        int src = -1, dst = -1;
        string operation = "open source directory";
        try
        {
            src = Sys.OpenDirectoryBeneath(ctx.SourceRoot, item.Dir);
            operation = "open target directory";
            dst = Sys.OpenDirectoryBeneath(ctx.TargetRoot, item.Dir);
            operation = item.Kind == WorkKind.Range ? "copy range" : "copy";
            if (item.Kind == WorkKind.Range)
            {
                stop.ThrowIfCancellationRequested();
                Node.CheckLease(item.Id);
                if (SplitFileCopier.CopyRange(src, dst, file, offset, length, temp, _kernelCopy, () => Node.CheckLease(item.Id)))
                    _log.Info("pass {0}: copied bytes {1}-{2} of {3} ({4} bytes)", item.PassId, offset, offset + length, ByteNames.Escape(path), file.Size);
                return outcome; // counted once, by the assemble
            }
            var warnings = new List<PosixException>();
            long bytes = SplitFileCopier.Assemble(src, dst, file, temp, item.ScanFailed, warnings, () => Node.CheckLease(item.Id));
            if (bytes >= 0) outcome.Add(new PassCounters { FilesCopied = 1, BytesCopied = bytes });
            foreach (var w in warnings) outcome.Fail(path, w.Operation, w.Errno, w.Reason);
        }
        catch (PosixException e) { outcome.Fail(path, e.Operation == "open" ? operation : e.Operation, e.Errno, e.Reason); }
        catch (Exception e) when (e is FileChangedException or EntryReplacedException) { outcome.Fail(path, "copy", 0, e.Message); }
        finally
        {
            Sys.Close(src);
            Sys.Close(dst);
        }
        return outcome;
    }
}
