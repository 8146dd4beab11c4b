using System.Configuration;
using System.Configuration.Internal;
using System.Reflection;

namespace Pdm.Actors;

/// <summary>
/// An empty app.config for the process. Every <c>ActorSystem.Create</c> reads an "akka" section from
/// the .NET app.config through System.Configuration, even when given its config (pdm's is HOCON and
/// it ships no app.config): the first read loads System.Configuration's XML reader and cryptography to
/// find and parse the machine's and the application's config files, 15-20 ms of CPU on the way to a
/// one-shot `pdm`'s first file (measured here: 8 ms less wall, 12 ms less CPU, median of 40 one-file
/// copies). Installed before the first read, this configuration system answers every section with
/// none, which is what a process without app.config gets for "akka". Nothing else in pdm's
/// dependencies reads app.config. If System.Configuration has no such hook, or has already been read,
/// nothing changes.
/// </summary>
internal sealed class NoAppConfig : IInternalConfigSystem
{
    /// <summary>ConfigurationManager.SetConfigurationSystem: internal, so looked up by name; null if this System.Configuration has none.</summary>
    internal static MethodInfo? Hook { get; } = typeof(ConfigurationManager).GetMethod("SetConfigurationSystem",
        BindingFlags.NonPublic | BindingFlags.Static, [typeof(IInternalConfigSystem), typeof(bool)]);

    public static void Install()
    {
        try { Hook?.Invoke(null, [new NoAppConfig(), true]); }
        catch (TargetInvocationException) { } // already read, or set: it stays as it is
    }

    public object? GetSection(string configKey) => null;

    public void RefreshConfig(string sectionName) { }

    public bool SupportsUserConfig => false;
}
