using Pdm.Ledger;

namespace Pdm.Actors;

/// <summary>
/// A fixed set of dedicated threads that take work items from a mailbox and run them to the end.
/// File work blocks in system calls; on dedicated threads it never starves the thread pool that the
/// rest of the node (heartbeats, progress) runs on.
/// </summary>
public sealed class IoDispatcher : IDisposable
{
    private readonly Thread[] _threads;

    public IoDispatcher(int threads, Mailbox<WorkItem> mailbox, Action<WorkItem> handle)
    {
        _threads = new Thread[threads];
        for (int i = 0; i < threads; i++)
        {
            // Deep trees recurse (removing a replaced directory): give them room.
            _threads[i] = new Thread(() => Loop(mailbox, handle), 16 * 1024 * 1024) { IsBackground = true, Name = $"pdm-io-{i}" };
            _threads[i].Start();
        }
    }

    private static void Loop(Mailbox<WorkItem> mailbox, Action<WorkItem> handle)
    {
        while (mailbox.Take(out var item)) handle(item);
    }

    /// <summary>Waits for every thread; they end once the mailbox is completed and drained.</summary>
    public void Join()
    {
        foreach (var t in _threads) t.Join();
    }

    public void Dispose() => Join();
}
