using Akka.Actor;
using Akka.Serialization;
using Pdm.Ledger;

namespace Pdm.Coordination;

/// <summary>
/// Stores a coordinator's events and snapshots in its journal: each under a stable manifest (a name and
/// a version, never a CLR type name that a rename would break), as a few bytes written by hand. A new
/// field means a new version of the manifest; old versions stay readable.
/// </summary>
public sealed class PassEventSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Akka reserves 0-100; the number is stored with every event, so it never changes.</summary>
    public const int Id = 7411;

    public override int Identifier => Id;

    private const string Started = "pass-started.v1", Paused = "pass-paused.v1", Resumed = "pass-resumed.v1",
        Interrupted = "pass-interrupted.v1", Cancelled = "pass-cancelled.v1", Progress = "progress-recorded.v1",
        Completed = "pass-completed.v1", Failed = "pass-failed.v1", Snapshot = "pass-state.v1";

    public override string Manifest(object o) => o switch
    {
        PassEvents.PassStarted => Started,
        PassEvents.PassPaused => Paused,
        PassEvents.PassResumed => Resumed,
        PassEvents.PassInterrupted => Interrupted,
        PassEvents.PassCancelled => Cancelled,
        PassEvents.ProgressRecorded => Progress,
        PassEvents.PassCompleted => Completed,
        PassEvents.PassFailed => Failed,
        PassJournalState => Snapshot,
        _ => throw new ArgumentException($"{o.GetType()} is not a pass event", nameof(o)),
    };

    public override byte[] ToBinary(object o)
    {
        using var stream = new MemoryStream(64);
        using (var w = new BinaryWriter(stream))
        {
            switch (o)
            {
                case PassJournalState s:
                    w.Write((byte)s.Status);
                    WriteTotals(w, s.Totals);
                    WriteTime(w, s.StartedAt);
                    WriteTime(w, s.EndedAt);
                    w.Write(s.ActiveTime.Ticks);
                    WriteTime(w, s.RunningSince);
                    break;
                case IPassEvent e:
                    w.Write(e.At.UtcTicks);
                    switch (e)
                    {
                        case PassEvents.PassInterrupted i: w.Write(i.Reason); break;
                        case PassEvents.ProgressRecorded p: WriteTotals(w, p.Totals); break;
                        case PassEvents.PassCompleted c: WriteTotals(w, c.Totals); break;
                        case PassEvents.PassFailed f: WriteTotals(w, f.Totals); w.Write(f.Reason); break;
                    }
                    break;
                default:
                    throw new ArgumentException($"{o.GetType()} is not a pass event", nameof(o));
            }
        }
        return stream.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        using var r = new BinaryReader(new MemoryStream(bytes));
        if (manifest == Snapshot)
        {
            var status = (PassStatus)r.ReadByte();
            var totals = ReadTotals(r);
            var started = ReadTime(r);
            var ended = ReadTime(r);
            var active = TimeSpan.FromTicks(r.ReadInt64());
            return new PassJournalState(status, totals, started, ended, active, ReadTime(r));
        }
        var at = new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero);
        return manifest switch
        {
            Started => new PassEvents.PassStarted(at),
            Paused => new PassEvents.PassPaused(at),
            Resumed => new PassEvents.PassResumed(at),
            Interrupted => new PassEvents.PassInterrupted(at, r.ReadString()),
            Cancelled => new PassEvents.PassCancelled(at),
            Progress => new PassEvents.ProgressRecorded(at, ReadTotals(r)),
            Completed => new PassEvents.PassCompleted(at, ReadTotals(r)),
            Failed => new PassEvents.PassFailed(at, ReadTotals(r), r.ReadString()),
            _ => throw new System.Runtime.Serialization.SerializationException($"unknown pass event manifest '{manifest}' (a journal written by a newer pdm?)"),
        };
    }

    private static void WriteTotals(BinaryWriter w, PassCounters c)
    {
        foreach (long v in (ReadOnlySpan<long>)[c.EntriesSeen, c.FilesCopied, c.BytesCopied, c.SkippedEqual, c.MetadataFixed, c.HardLinks, c.Failed, c.Deleted, c.Differences])
            w.Write(v);
    }

    private static PassCounters ReadTotals(BinaryReader r) =>
        new(r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64());

    private static void WriteTime(BinaryWriter w, DateTimeOffset? t)
    {
        w.Write(t.HasValue);
        if (t is { } v) w.Write(v.UtcTicks);
    }

    private static DateTimeOffset? ReadTime(BinaryReader r) => r.ReadBoolean() ? new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero) : null;
}
