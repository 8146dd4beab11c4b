using Pdm.Ledger;

namespace Pdm.Tests.Support;

/// <summary>Reads a pass's folded state straight from a ledger file.</summary>
public static class LedgerReader
{
    public static PassState State(string ledgerPath, long passId)
    {
        using var ledger = SqliteLedger.Open(ledgerPath);
        return ledger.GetPassState(passId) ?? PassState.Initial(passId); // not created yet: nothing done
    }

    public static PassInfo LastPass(string ledgerPath)
    {
        using var ledger = SqliteLedger.Open(ledgerPath);
        return ledger.ListPasses().OrderBy(p => p.Id).Last();
    }
}
