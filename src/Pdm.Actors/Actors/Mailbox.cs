namespace Pdm.Actors;

/// <summary>
/// A queue between threads that block on it. Unlike a Channel read through WaitToReadAsync().GetResult(),
/// a wake-up is one futex call on the waiting thread itself: no thread-pool continuation in between and no
/// spinning, which on a two-core machine with a dozen busy threads cost more than the work handed over.
/// </summary>
public sealed class Mailbox<T>
{
    private readonly Queue<T> _items = new();
    private readonly object _gate = new();
    private bool _completed;
    private int _waiting;

    public int Count
    {
        get { lock (_gate) return _items.Count; }
    }

    /// <summary>Adds an item; false once <see cref="Complete"/> was called.</summary>
    public bool TryAdd(T item)
    {
        lock (_gate)
        {
            if (_completed) return false;
            _items.Enqueue(item);
            if (_waiting > 0) Monitor.Pulse(_gate);
            return true;
        }
    }

    public bool TryTake(out T item)
    {
        lock (_gate) return _items.TryDequeue(out item!);
    }

    /// <summary>Waits for an item; false when the mailbox is completed and empty.</summary>
    public bool Take(out T item)
    {
        lock (_gate)
        {
            while (!_items.TryDequeue(out item!))
            {
                if (_completed) return false;
                _waiting++;
                try { Monitor.Wait(_gate); }
                finally { _waiting--; }
            }
            return true;
        }
    }

    /// <summary>Waits for at least one item, then moves up to <paramref name="max"/> into <paramref name="into"/>; false when completed and empty.</summary>
    public bool TakeMany(List<T> into, int max)
    {
        lock (_gate)
        {
            while (_items.Count == 0)
            {
                if (_completed) return false;
                _waiting++;
                try { Monitor.Wait(_gate); }
                finally { _waiting--; }
            }
            while (into.Count < max && _items.TryDequeue(out var item)) into.Add(item);
            return true;
        }
    }

    /// <summary>No more items will come: waiting takers return once the mailbox is empty.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _completed = true;
            Monitor.PulseAll(_gate);
        }
    }
}
