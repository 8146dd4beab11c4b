using Pdm.Ledger;

namespace Pdm.Actors;

/// <summary>The pass contexts (open roots) a node holds, one per pass it works on, shared by its actors.</summary>
public sealed class PassContexts(ILedger ledger) : IDisposable
{
    private readonly Dictionary<long, PassContext> _passes = [];
    private readonly Lock _gate = new();

    public PassContext For(long passId)
    {
        lock (_gate)
        {
            if (_passes.TryGetValue(passId, out var ctx)) return ctx;
            var pass = ledger.GetPass(passId) ?? throw new InvalidDataException($"work item of unknown pass {passId}");
            ctx = PassContext.Open(pass);
            _passes[passId] = ctx;
            return ctx;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var ctx in _passes.Values) ctx.Dispose();
            _passes.Clear();
        }
    }
}
