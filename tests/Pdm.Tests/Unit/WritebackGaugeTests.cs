using Pdm.Engine;

namespace Pdm.Tests.Unit;

/// <summary>The rule that sends large files direct: dirty and writeback pages at half the background threshold.</summary>
public sealed class WritebackGaugeTests
{
    private static bool Backlogged(long dirty, long writeback, long threshold) => WritebackGauge.IsBacklogged(System.Text.Encoding.ASCII.GetBytes(
        $"nr_free_pages 4096\nnr_dirty {dirty}\nnr_writeback {writeback}\nnr_writeback_temp 0\nnr_dirty_threshold {2 * threshold}\nnr_dirty_background_threshold {threshold}\npgpgin 12\n"));

    [Theory]
    [InlineData(0, 0, 500_000, false)]
    [InlineData(249_999, 0, 500_000, false)]
    [InlineData(250_000, 0, 500_000, true)]
    [InlineData(200_000, 50_000, 500_000, true)] // pages under writeback count as much as dirty ones
    [InlineData(1_000_000, 0, 500_000, true)]
    public void HalfTheBackgroundThresholdIsTheLine(long dirty, long writeback, long threshold, bool backlogged) =>
        Assert.Equal(backlogged, Backlogged(dirty, writeback, threshold));

    [Fact]
    public void MissingOrMalformedFiguresAreNotABacklog()
    {
        Assert.False(WritebackGauge.IsBacklogged(""u8));
        Assert.False(WritebackGauge.IsBacklogged("nr_dirty 900000\nnr_writeback 0\n"u8)); // no threshold
        Assert.False(WritebackGauge.IsBacklogged("nr_dirty x\nnr_writeback 0\nnr_dirty_background_threshold 10\n"u8));
        Assert.False(WritebackGauge.IsBacklogged("nr_dirty 9\nnr_writeback 0\nnr_dirty_background_threshold 0\n"u8));
    }

    [Fact]
    public void TheNameMustMatchWhole()
    {
        // nr_dirty_threshold and nr_dirtied must not be taken for nr_dirty
        Assert.False(WritebackGauge.IsBacklogged("nr_dirtied 900000\nnr_dirty_threshold 900000\nnr_dirty 0\nnr_writeback 0\nnr_dirty_background_threshold 10\n"u8));
    }

    [Fact]
    public void ThisKernelReportsTheThreeFigures()
    {
        var lines = File.ReadAllLines("/proc/vmstat");
        foreach (var name in new[] { "nr_dirty ", "nr_writeback ", "nr_dirty_background_threshold " })
            Assert.Contains(lines, line => line.StartsWith(name, StringComparison.Ordinal));
    }
}
