using System.Text;
using Pdm.Engine;

namespace Pdm.Tests.Unit;

public class BatchTests
{
    private static CopyEntry E(string name, long size, EntryAction action = EntryAction.Copy) => new(action, Encoding.UTF8.GetBytes(name), size);

    [Fact]
    public void BatchesAreBoundedByCount()
    {
        var batches = new List<List<CopyEntry>>();
        var b = new BatchBuilder(3, 1 << 30, batches.Add);
        for (int i = 0; i < 7; i++) b.Add(E($"f{i}", 1));
        b.Flush();
        Assert.Equal([3, 3, 1], batches.Select(x => x.Count));
    }

    [Fact]
    public void BatchesAreBoundedByBytes()
    {
        var batches = new List<List<CopyEntry>>();
        var b = new BatchBuilder(100, 100, batches.Add);
        foreach (var size in new[] { 40, 40, 40, 10 }) b.Add(E("f", size));
        b.Flush();
        Assert.Equal([2, 2], batches.Select(x => x.Count));
        Assert.All(batches, batch => Assert.True(batch.Sum(e => e.Size) <= 100));
    }

    [Fact]
    public void AFileBiggerThanTheBoundIsABatchOfItsOwn()
    {
        var batches = new List<List<CopyEntry>>();
        var b = new BatchBuilder(100, 100, batches.Add);
        b.Add(E("small", 10));
        b.Add(E("huge", 1000));
        b.Add(E("after", 10));
        b.Flush();
        Assert.Equal(["small", "huge", "after"], batches.Select(x => Encoding.UTF8.GetString(Assert.Single(x).Name)));
    }

    [Fact]
    public void MetadataFixesCostNoBytes()
    {
        var batches = new List<List<CopyEntry>>();
        var b = new BatchBuilder(100, 100, batches.Add);
        for (int i = 0; i < 50; i++) b.Add(E($"m{i}", 1 << 20, EntryAction.FixMetadata));
        b.Flush();
        Assert.Single(batches);
    }

    [Fact]
    public void AMetadataFixCarriesTheTargetInodeTheScanCompared()
    {
        var fix = new CopyEntry(EntryAction.FixTargetMetadata, "f"u8.ToArray(), 0, new Pdm.Native.FileId(0x8_0000_0001, ulong.MaxValue));
        var entries = new List<CopyEntry> { E("a", 3), fix, E("b", 4, EntryAction.CreateFile) };
        var back = BatchCodec.DecodeCopies(BatchCodec.EncodeCopies(entries));
        Assert.Equal(fix.Target, back[1].Target);
        Assert.True(back[1].FixesMetadata);
        Assert.Null(back[2].Target);
        Assert.Equal("b"u8.ToArray(), back[2].Name);
    }

    [Fact]
    public void PayloadsRoundTripNamesThatAreNotUtf8()
    {
        var entries = new List<CopyEntry> { new(EntryAction.Copy, [0xff, 0xfe, (byte)'x'], 5), E("new\nline", 0, EntryAction.FixMetadata) };
        var back = BatchCodec.DecodeCopies(BatchCodec.EncodeCopies(entries));
        Assert.Equal(entries.Count, back.Count);
        for (int i = 0; i < entries.Count; i++)
        {
            Assert.Equal(entries[i].Name, back[i].Name);
            Assert.Equal(entries[i].Action, back[i].Action);
            Assert.Equal(entries[i].Size, back[i].Size);
        }
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a/b")]
    [InlineData("")]
    public void PayloadsWithUnsafeNamesAreRejected(string name)
    {
        var payload = BatchCodec.EncodeCopies([E(name, 1)]);
        Assert.Throws<InvalidDataException>(() => BatchCodec.DecodeCopies(payload));
    }

    [Fact]
    public void LinkPayloadsRejectLeaderPathsThatClimbOut()
    {
        var payload = BatchCodec.EncodeLinks([new LinkEntry("f"u8.ToArray(), "a/../../etc/passwd"u8.ToArray())]);
        Assert.Throws<InvalidDataException>(() => BatchCodec.DecodeLinks(payload));
    }

    [Fact]
    public void TruncatedPayloadsAreRejected()
    {
        var payload = BatchCodec.EncodeCopies([E("file", 1)]);
        Assert.Throws<InvalidDataException>(() => BatchCodec.DecodeCopies(payload[..^3]));
    }
}
