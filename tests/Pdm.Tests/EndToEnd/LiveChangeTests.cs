using Pdm.Tests.Support;

namespace Pdm.Tests.EndToEnd;

/// <summary>A source file rewritten while it is copied ends as a reported failure or a correct copy, never a torn one.</summary>
[Collection(TimingCollection.Name)]
public sealed class LiveChangeTests : IDisposable
{
    private readonly TempTree _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void AFileRewrittenInALoopIsNeverCopiedTorn()
    {
        const int size = 8 << 20;
        Directory.CreateDirectory(_tmp["src"]);
        string hot = _tmp["src/hot.bin"];
        File.WriteAllBytes(hot, Enumerable.Repeat((byte)'a', size).ToArray());
        using var stop = new CancellationTokenSource();
        var writer = new Thread(() =>
        {
            // Overwrite in place, a chunk at a time, alternating two versions: a copy that mixes them is torn.
            var chunk = new byte[64 << 10];
            for (int round = 0; !stop.IsCancellationRequested; round++)
            {
                Array.Fill(chunk, round % 2 == 0 ? (byte)'b' : (byte)'a');
                using var f = new FileStream(hot, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
                for (int off = 0; off < size; off += chunk.Length) f.Write(chunk);
            }
        });
        writer.Start();
        int failures = 0, copies = 0;
        try
        {
            for (int run = 0; run < 4; run++)
            {
                string dst = _tmp[$"dst{run}"];
                var r = Tools.Pdm_("copy", _tmp["src"], dst, "--ledger", _tmp[$"l{run}.db"]);
                Assert.True(r.ExitCode is 0 or 1, r.Stderr);
                string copied = Path.Combine(dst, "hot.bin");
                if (r.ExitCode == 1)
                {
                    Assert.Contains("hot.bin: copy: changed during copy (3 attempts)", r.Stderr);
                    Assert.False(File.Exists(copied)); // nothing half-done was renamed into place
                    failures++;
                }
                else
                {
                    var bytes = File.ReadAllBytes(copied);
                    Assert.Equal(size, bytes.Length);
                    Assert.True(bytes.All(b => b == bytes[0]), "the copy mixes two versions of the file");
                    copies++;
                }
                Assert.Empty(Tools.Temporaries(dst));
            }
        }
        finally
        {
            stop.Cancel();
            writer.Join();
        }
        Assert.Equal(4, failures + copies);
    }
}
