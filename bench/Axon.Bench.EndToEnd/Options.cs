using System.Globalization;

/// <summary>The command line: a workload name, then --key value pairs.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> values = new(StringComparer.Ordinal);

    private Options(string workload) => Workload = workload;

    public string Workload { get; }

    public static Options Parse(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
            throw new ArgumentException("usage: Axon.Bench.EndToEnd <train|infer-latency|infer-batch|epoch|time-to-accuracy|gemm|profile|profile-infer|rnn-train|rnn-latency|charlm-train|peak> [--key value ...]");
        var o = new Options(args[0]);
        for (int i = 1; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"expected --key value, got '{args[i]}'");
            o.values[args[i][2..]] = args[i + 1];
        }
        return o;
    }

    public string Str(string key, string fallback) => values.GetValueOrDefault(key, fallback);

    public int Int(string key, int fallback) => values.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public double Double(string key, double fallback) => values.TryGetValue(key, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
