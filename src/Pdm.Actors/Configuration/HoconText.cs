using System.Text;

namespace Pdm.Configuration;

/// <summary>A configuration pdm refuses (exit 2): the message names the file and, where it can, the key or line.</summary>
public sealed class ConfigException(string message) : UsageException(message);

/// <summary>
/// What pdm does to a HOCON text before Akka's HOCON parser reads it. That parser has no environment
/// variables and, on some malformed input (an array closed by a brace), never returns. So first:
/// <list type="bullet">
/// <item>the structure is checked (strings, comments, brackets that close what they opened), and the
/// first fault is reported with its line;</item>
/// <item><c>${NAME}</c> and <c>${?NAME}</c> whose NAME is an environment variable's (upper-case
/// letters, digits, underscores) are replaced by the variable's value as a quoted string. An unset
/// <c>${?NAME}</c> that is a key's whole value drops that assignment, so the key keeps what an
/// earlier line gave it (HOCON's rule); an unset <c>${NAME}</c> is an error. Other substitutions
/// (paths of the configuration itself) are left to Akka.</item>
/// </list>
/// </summary>
public static class HoconText
{
    public static string Prepare(string text, Func<string, string?> environment)
    {
        var output = new StringBuilder(text.Length);
        var open = new Stack<(char Bracket, int Line)>();
        int line = 1;
        int lineStartInOutput = 0; // where the current line begins in the output, to drop an assignment
        for (int i = 0; i < text.Length;)
        {
            char c = text[i];
            if (c == '\n')
            {
                line++;
                output.Append(c);
                i++;
                lineStartInOutput = output.Length;
                continue;
            }
            if (c == '#' || (c == '/' && At(text, i, "//")))
            {
                int end = text.IndexOf('\n', i);
                if (end < 0) end = text.Length;
                output.Append(text, i, end - i);
                i = end;
                continue;
            }
            if (At(text, i, "\"\"\""))
            {
                int end = text.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal);
                if (end < 0) throw Fault(line, "a \"\"\" string is not closed");
                line += text.AsSpan(i, end - i).Count('\n');
                output.Append(text, i, end + 3 - i);
                i = end + 3;
                continue;
            }
            if (c == '"')
            {
                int j = i + 1;
                while (j < text.Length && text[j] != '"' && text[j] != '\n') j += text[j] == '\\' ? 2 : 1;
                if (j >= text.Length || text[j] != '"') throw Fault(line, "a quoted string is not closed on its line");
                output.Append(text, i, j + 1 - i);
                i = j + 1;
                continue;
            }
            if (c is '{' or '[')
            {
                open.Push((c, line));
            }
            else if (c is '}' or ']')
            {
                char expected = c == '}' ? '{' : '[';
                if (open.Count == 0) throw Fault(line, $"'{c}' closes nothing");
                var (bracket, openedAt) = open.Pop();
                if (bracket != expected)
                    throw Fault(line, $"'{c}' closes the '{bracket}' of line {openedAt}");
            }
            else if (c == '$' && At(text, i, "${"))
            {
                int end = text.IndexOf('}', i);
                int newline = text.IndexOf('\n', i);
                if (end < 0 || (newline >= 0 && newline < end)) throw Fault(line, "a ${...} substitution is not closed");
                string inner = text[(i + 2)..end];
                bool optional = inner.StartsWith('?');
                string name = optional ? inner[1..] : inner;
                if (!IsEnvironmentName(name))
                {
                    output.Append(text, i, end + 1 - i); // a path of the configuration: Akka's to resolve
                }
                else if (environment(name) is { } value)
                {
                    output.Append(Quote(value));
                }
                else if (!optional)
                {
                    throw Fault(line, $"${{{name}}}: the environment variable {name} is not set (write ${{?{name}}} to make it optional)");
                }
                else
                {
                    // Unset and optional: the assignment is dropped, if the substitution is all its value.
                    string before = output.ToString(lineStartInOutput, output.Length - lineStartInOutput);
                    int restEnd = text.IndexOf('\n', end);
                    string after = text[(end + 1)..(restEnd < 0 ? text.Length : restEnd)];
                    if (!IsWholeValue(before, after))
                        throw Fault(line, $"${{?{name}}}: an unset variable can only be a key's whole value (key = ${{?{name}}})");
                    output.Length = lineStartInOutput + before.TakeWhile(char.IsWhiteSpace).Count();
                    i = restEnd < 0 ? text.Length : restEnd;
                    continue;
                }
                i = end + 1;
                continue;
            }
            else if (c == 'i' && At(text, i, "include") && (i == 0 || !IsKeyChar(text[i - 1])) && !IsKeyChar(At(text, i + 7)))
            {
                throw Fault(line, "include is not supported: put everything in one file");
            }
            output.Append(c);
            i++;
        }
        if (open.Count > 0)
        {
            var (bracket, openedAt) = open.Peek();
            throw Fault(openedAt, $"the '{bracket}' opened here is never closed");
        }
        return output.ToString();
    }

    /// <summary>The text before the substitution on its line is "key =" (or "key :"), and after it nothing but a comma or a comment.</summary>
    private static bool IsWholeValue(string before, string after)
    {
        var b = before.Trim();
        if (b.Length < 2 || b[^1] is not ('=' or ':')) return false;
        var key = b[..^1].Trim();
        if (key.Length == 0 || !key.All(ch => IsKeyChar(ch) || ch is '.' or '"')) return false;
        var a = after.Trim();
        return a.Length == 0 || a == "," || a.StartsWith('#') || a.StartsWith("//", StringComparison.Ordinal)
            || (a.StartsWith(',') && (a[1..].TrimStart().StartsWith('#') || a[1..].TrimStart().StartsWith("//", StringComparison.Ordinal)));
    }

    private static bool IsEnvironmentName(string name) =>
        name.Length > 0 && (char.IsAsciiLetterUpper(name[0]) || name[0] == '_')
        && name.All(ch => char.IsAsciiLetterUpper(ch) || char.IsAsciiDigit(ch) || ch == '_');

    private static bool IsKeyChar(char c) => char.IsLetterOrDigit(c) || c is '-' or '_';

    private static bool At(string text, int i, string what) => string.CompareOrdinal(text, i, what, 0, what.Length) == 0;

    private static char At(string text, int i) => i < text.Length ? text[i] : ' ';

    /// <summary>A HOCON quoted string holding <paramref name="value"/> exactly (JSON's escapes).</summary>
    public static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (char ch in value)
        {
            switch (ch)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (char.IsControl(ch)) sb.Append($"\\u{(int)ch:x4}");
                    else sb.Append(ch);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    private static ConfigException Fault(int line, string what) => new($"line {line}: {what}");
}
