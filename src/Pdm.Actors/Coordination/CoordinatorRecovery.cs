using Akka.Actor;

namespace Pdm.Coordination;

/// <summary>A task that completes once the coordinator of a pass has recovered from its journal (see <see cref="CoordinatorRecovered"/>).</summary>
public static class CoordinatorRecovery
{
    /// <summary>Call before the coordinator starts: the event is published once.</summary>
    public static Task Watch(ActorSystem system, long passId)
    {
        var recovered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watcher = system.ActorOf(Props.Create(() => new Watcher(passId, recovered)), $"recovery-of-{passId}-{Guid.NewGuid():N}");
        system.EventStream.Subscribe(watcher, typeof(CoordinatorRecovered)); // now, before the coordinator can publish
        return recovered.Task;
    }

    private sealed class Watcher : ReceiveActor
    {
        public Watcher(long passId, TaskCompletionSource recovered)
        {
            Receive<CoordinatorRecovered>(r =>
            {
                if (r.PassId != passId) return;
                recovered.TrySetResult();
                Context.Stop(Self);
            });
        }
    }
}
