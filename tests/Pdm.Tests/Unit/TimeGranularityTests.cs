using Pdm.Engine;
using Pdm.Native;

namespace Pdm.Tests.Unit;

public class TimeGranularityTests
{
    private static TimeNs T(long s, uint ns) => new(s, ns);

    [Fact]
    public void TheStepIsTheLargestPowerOfTenDividingEveryKernelTime()
    {
        Assert.Equal(1, TimeGranularity.Infer([T(5, 123_456_789)]).Nanoseconds);
        Assert.Equal(1_000, TimeGranularity.Infer([T(5, 123_456_000), T(6, 7_000)]).Nanoseconds);
        Assert.Equal(10, TimeGranularity.Infer([T(5, 123_456_000), T(6, 10)]).Nanoseconds); // one fine time decides
        Assert.Equal(1_000_000_000, TimeGranularity.Infer([T(5, 0), T(-3, 0)]).Nanoseconds);
    }

    [Fact]
    public void AtOneNanosecondOnlyTheSameTimeHolds()
    {
        var g = TimeGranularity.Nanosecond;
        Assert.True(g.Holds(T(5, 123), T(5, 123)));
        Assert.False(g.Holds(T(5, 123), T(5, 0)));
        Assert.False(g.Holds(T(5, 123), T(5, 124)));
    }

    [Fact]
    public void ACoarseTargetHoldsTheSourceTimeTruncatedToItsStep()
    {
        var second = TimeGranularity.Second;
        Assert.True(second.Holds(T(5, 999_999_999), T(5, 0)));
        Assert.True(second.Holds(T(5, 0), T(5, 0)));
        Assert.False(second.Holds(T(5, 500), T(6, 0)));           // never rounded up
        Assert.False(second.Holds(T(5, 500), T(4, 0)));           // another second
        Assert.True(second.Holds(T(-2, 250_000_000), T(-2, 0)));  // before 1970 too: down, like the kernel
        var micro = TimeGranularity.Infer([T(1, 1_000)]);
        Assert.True(micro.Holds(T(7, 123_456_789), T(7, 123_456_000)));
        Assert.False(micro.Holds(T(7, 123_456_789), T(7, 123_000_000)));
    }

    [Fact]
    public void ADefaultStepComparesExactly() =>
        Assert.False(default(TimeGranularity).Holds(T(5, 123), T(5, 0)));
}
