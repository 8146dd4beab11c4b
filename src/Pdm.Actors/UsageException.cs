namespace Pdm;

/// <summary>
/// Input pdm refuses: reported as one line, exit status 2, before anything is written. Raised where
/// the input is checked, in `pdm` or, for a pass submitted to a cluster, on the node that takes it.
/// </summary>
public class UsageException(string message) : Exception(message);
