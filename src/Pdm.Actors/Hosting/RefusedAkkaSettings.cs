using System.Reflection;
using System.Text.RegularExpressions;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace Pdm.Actors;

/// <summary>
/// Tells an actor system that would not start because Akka refused a value of its settings (an
/// admin's akka { } section: a duration of 0, a number that is not one, a dispatcher type that does
/// not exist) from one that failed for another reason, and says which in one line, with the key.
/// </summary>
public static partial class RefusedAkkaSettings
{
    /// <summary>"KEY: Akka's own words" (or "akka: ..." where the key cannot be told), on one line; null if <paramref name="e"/> is not a refusal.</summary>
    /// <param name="admin">the admin's settings: a value Akka could not read, quoted without its key, is looked up there</param>
    public static string? Why(Exception e, Config admin)
    {
        while (e is TargetInvocationException or TypeInitializationException or AggregateException { InnerExceptions.Count: 1 } && e.InnerException is { } inner)
            e = inner;
        if (e is not (ConfigurationException or FormatException or ArgumentException or OverflowException))
            return null;
        string what = string.Join("; ", e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        if (e is ArgumentException { ParamName: { Length: > 0 } param } && param.StartsWith("akka.", StringComparison.Ordinal))
            return $"{param}: {what}";
        // "The input string 'soon' was not in a correct format." names neither the key nor where it is.
        if (!admin.IsNullOrEmpty() && Quoted().Match(what) is { Success: true } m && KeysHolding(admin.Root, "", m.Groups[1].Value).ToList() is [_, ..] keys)
            return $"{string.Join(", ", keys)}: {what}";
        return $"akka: {what}";
    }

    private static IEnumerable<string> KeysHolding(HoconValue value, string path, string text)
    {
        if (value.IsObject())
        {
            foreach (var (key, child) in value.GetObject().Items)
                foreach (var found in KeysHolding(child, path.Length == 0 ? key : $"{path}.{key}", text))
                    yield return found;
        }
        else if (value.IsString() && value.GetString() == text)
            yield return path;
    }

    [GeneratedRegex("""['"]([^'"]*)['"]""")]
    private static partial Regex Quoted();
}
