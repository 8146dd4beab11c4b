namespace Pdm.Actors;

/// <summary>
/// Wakes one waiting thread (the node's feeder) when something it waits for happened, like an
/// auto-reset event; a signal given while nobody waits is kept for the next wait. Blocks without
/// spinning (SemaphoreSlim spins first, which on two cores takes time from the threads doing the work).
/// </summary>
public sealed class WakeSignal
{
    private readonly object _gate = new();
    private bool _signalled;

    public void Set()
    {
        lock (_gate)
        {
            _signalled = true;
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>Waits until signalled or <paramref name="timeout"/> passes.</summary>
    public void Wait(TimeSpan timeout)
    {
        lock (_gate)
        {
            if (!_signalled) Monitor.Wait(_gate, timeout);
            _signalled = false;
        }
    }
}
