using Akka.Configuration;

namespace Pdm.Actors;

/// <summary>pdm's own Akka settings, under what an admin writes in the config's akka { } section.</summary>
public static class PdmHocon
{
    /// <summary>DirectoryActor, FileCopyActor, DirectoryFinalizer: a fixed number of dedicated threads.</summary>
    public const string IoDispatcher = "akka.actor.pdm-io";

    /// <summary>The feeder and the completion writer: a thread each (they block on the ledger).</summary>
    public const string LedgerDispatcher = "akka.actor.pdm-ledger";

    /// <summary>
    /// The defaults. The I/O dispatcher's thread count is the node's --threads; the rest an admin may
    /// override in akka { }. Logs go to stderr (stdout is the command's), warnings and worse by default.
    /// Coordinated shutdown leaves the process to pdm: it never exits the CLR itself.
    /// </summary>
    public static Config Defaults(int threads) => ConfigurationFactory.ParseString($$"""
        akka {
          loglevel = WARNING
          stdout-loglevel = OFF
          log-dead-letters = off
          log-dead-letters-during-shutdown = off
          actor {
            pdm-io {
              type = ForkJoinDispatcher
              throughput = 1
              dedicated-thread-pool { thread-count = {{threads}}, threadtype = background }
            }
            pdm-ledger {
              type = PinnedDispatcher
            }
          }
          coordinated-shutdown {
            run-by-clr-shutdown-hook = off
            exit-clr = off
            # Draining waits for work in flight to reach a safe point: a scan checkpoints, a batch
            # stops between files, but one large file is finished first.
            phases.service-unbind.timeout = 120s
          }
        }
        """);
}
