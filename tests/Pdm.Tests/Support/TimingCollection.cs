namespace Pdm.Tests.Support;

/// <summary>
/// Tests that signal or control a running `pdm` at some moment (kill, pause, a file rewritten during
/// its copy) run in this collection: alone, after the others, so that a parallel test's load cannot
/// make them miss their moment.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    public const string Name = "timing";
}
