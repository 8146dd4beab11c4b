namespace Pdm.Shell;

/// <summary>The exit statuses of every pdm command (also in README.md and `pdm --help`).</summary>
public static class ExitCodes
{
    /// <summary>The pass completed and every entry was handled.</summary>
    public const int Ok = 0;
    /// <summary>The pass completed, but some entries could not be handled (see `pdm failures ID`).</summary>
    public const int CompletedWithFailures = 1;
    /// <summary>Bad usage or refused input; nothing was written.</summary>
    public const int Usage = 2;
    /// <summary>The ledger cannot be opened or reached.</summary>
    public const int LedgerUnavailable = 3;
    /// <summary>pdm itself failed (a bug): the message says where; the pass can be resumed.</summary>
    public const int InternalError = 70;
    /// <summary>
    /// The pass stopped itself: its target's filesystem is full, over a quota or read-only (EX_TEMPFAIL
    /// of sysexits.h). Nothing was recorded as failed for it; it is resumed once the target can be written.
    /// </summary>
    public const int TargetUnwritable = 75;
    /// <summary>Interrupted (Ctrl-C, SIGTERM); the pass can be resumed.</summary>
    public const int Interrupted = 130;

    public const string Help = """
        Exit status: 0 done; 1 done with failures (listed by `pdm failures ID`); 2 bad usage or refused,
        nothing written; 3 ledger unreachable; 70 internal error (a bug); 75 stopped, the target full or read-only
        (then `pdm resume ID`); 130 interrupted (resume with `pdm resume ID`) or cancelled.
        """;
}
