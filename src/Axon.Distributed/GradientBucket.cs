using System.Globalization;

namespace Axon.Distributed;

/// <summary>
/// A group of parameters whose gradients are all-reduced together (one message instead of one per tensor): their
/// gradients are copied into one host array as each becomes ready, and the array is reduced as soon as the last one has.
/// </summary>
public sealed class GradientBucket
{
    private readonly List<(string Name, Tensor Parameter, int Offset)> members = [];

    internal GradientBucket(int index) => Index = index;

    /// <summary>The bucket's position: 0 holds the last parameters of the model, whose gradients are ready first.</summary>
    public int Index { get; }

    /// <summary>The names of its parameters, in the order their gradients are expected (reverse parameter order).</summary>
    public IReadOnlyList<string> ParameterNames => members.Select(m => m.Name).ToList();

    /// <summary>The number of gradient elements (float32).</summary>
    public int Elements { get; private set; }

    /// <summary>Its size in bytes.</summary>
    public long Bytes => 4L * Elements;

    internal IReadOnlyList<(string Name, Tensor Parameter, int Offset)> Members => members;

    internal float[] Buffer { get; private set; } = [];

    // The state of the current step.
    internal int Pending;
    internal bool[] Arrived = [];
    internal CollectiveWork? Work;
    internal long ReadyAt;

    internal void Add(string name, Tensor parameter)
    {
        members.Add((name, parameter, Elements));
        Elements = checked(Elements + parameter.NumEl);
    }

    internal void Allocate()
    {
        Buffer = new float[Elements];
        Arrived = new bool[members.Count];
    }

    internal void Reset()
    {
        Pending = members.Count;
        Array.Clear(Arrived);
        Work = null;
        ReadyAt = 0;
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"bucket {Index}: {members.Count} parameters, {Elements:N0} floats ({Bytes / 1048576.0:F2} MiB)");

    /// <summary>
    /// The buckets of <paramref name="parameters"/> in reverse order (the order backward produces their gradients):
    /// the first closes once it holds <paramref name="firstCapBytes"/>, the others at <paramref name="capBytes"/>
    /// (PyTorch's 1 MiB and 25 MiB), so the first all-reduce starts early in the backward pass and the others are
    /// large enough to use the network well. A parameter larger than the cap gets a bucket of its own.
    /// </summary>
    internal static GradientBucket[] Plan(IReadOnlyList<(string Name, Tensor Parameter)> parameters, long firstCapBytes, long capBytes)
    {
        var buckets = new List<GradientBucket>();
        GradientBucket? open = null;
        for (int i = parameters.Count - 1; i >= 0; i--)
        {
            open ??= new GradientBucket(buckets.Count);
            open.Add(parameters[i].Name, parameters[i].Parameter);
            if (open.Bytes >= (buckets.Count == 0 ? firstCapBytes : capBytes))
            {
                buckets.Add(open);
                open = null;
            }
        }
        if (open is not null) buckets.Add(open);
        foreach (var b in buckets) b.Allocate();
        return [.. buckets];
    }
}
