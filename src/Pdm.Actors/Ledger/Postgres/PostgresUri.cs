using Npgsql;

namespace Pdm.Ledger.Postgres;

/// <summary>
/// A postgresql://[user[:password]@]host[:port]/database[?option=value...] URI, as libpq takes it, turned
/// into Npgsql's connection string, and the same URI without its password for messages. The password may
/// also come from $PGPASSWORD or ~/.pgpass (PGPASSFILE), as for psql.
/// </summary>
public static class PostgresUri
{
    /// <param name="maxConnections">the pool's size: this process's share of the server's max_connections</param>
    public static (string ConnectionString, string Name) Parse(string uri, int maxConnections, string applicationName)
    {
        Uri parsed;
        try { parsed = new Uri(uri); }
        catch (UriFormatException) { throw new LedgerUnavailableException($"ledger {Redact(uri)} is not a postgresql:// URI"); }
        if (parsed.Scheme is not ("postgresql" or "postgres") || string.IsNullOrEmpty(parsed.Host))
            throw new LedgerUnavailableException($"ledger {Redact(uri)} is not a postgresql://USER@HOST[:PORT]/DATABASE URI");
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = parsed.Host,
            Port = parsed.IsDefaultPort || parsed.Port <= 0 ? 5432 : parsed.Port,
            Database = Uri.UnescapeDataString(parsed.AbsolutePath.TrimStart('/')) is { Length: > 0 } db ? db : null,
            ApplicationName = applicationName,
            MaxPoolSize = maxConnections,
            MinPoolSize = 0,
            // Statements run again and again (claims, completions): Npgsql prepares them once per connection.
            MaxAutoPrepare = 64,
            Timeout = 15,
            CommandTimeout = 60,
        };
        if (parsed.UserInfo is { Length: > 0 } info)
        {
            int colon = info.IndexOf(':');
            builder.Username = Uri.UnescapeDataString(colon < 0 ? info : info[..colon]);
            if (colon >= 0) builder.Password = Uri.UnescapeDataString(info[(colon + 1)..]);
        }
        foreach (var pair in parsed.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            string key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]), value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            switch (key)
            {
                case "sslmode": builder.SslMode = Enum.Parse<SslMode>(value.Replace("-", ""), ignoreCase: true); break;
                case "connect_timeout": builder.Timeout = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
                default: throw new LedgerUnavailableException($"ledger {Redact(uri)}: unknown option '{key}' (known: sslmode, connect_timeout)");
            }
        }
        return (builder.ConnectionString, Redact(uri));
    }

    /// <summary>The URI with any password replaced by ***: what is printed and logged.</summary>
    public static string Redact(string uri)
    {
        int scheme = uri.IndexOf("://", StringComparison.Ordinal);
        int at = uri.IndexOf('@', Math.Max(scheme, 0));
        if (scheme < 0 || at < 0) return uri;
        int colon = uri.IndexOf(':', scheme + 3);
        return colon > 0 && colon < at ? uri[..(colon + 1)] + "***" + uri[at..] : uri;
    }
}
