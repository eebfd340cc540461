using System.Globalization;
using Axon.Nn;

namespace Axon.Optim;

/// <summary>
/// An exponential moving average of a model's weights (PyTorch's <c>AveragedModel</c> with
/// <c>get_ema_multi_avg_fn</c>, timm's <c>ModelEma</c>): a shadow copy updated after every optimiser step,
/// <code>
/// d_t   = min(decay, (1 + t) / (10 + t))      (t earlier updates: warm-up as TensorFlow's; without it d_t = decay)
/// W̄_t   = d_t W̄_(t-1) + (1 − d_t) W_t          (parameters and floating-point buffers: batch norm's running statistics)
/// </code>
/// and evaluated in place of the model's own weights (<see cref="UseAverage"/>). The average of the last ~1/(1 − decay)
/// steps sits nearer the middle of the valley that the iterates bounce across; with warm-up, the early average follows
/// the fast-moving first weights instead of remembering the initialisation. Integer buffers (batch norm's step count)
/// are copied. The shadows start as copies of the model's weights when the average is created.
/// </summary>
public sealed class ExponentialMovingAverage
{
    private readonly (string Name, Tensor Live, Tensor Shadow)[] entries;
    private bool swapped;

    /// <summary>Creates the average of <paramref name="model"/>'s parameters and buffers, starting from their current values.</summary>
    /// <param name="model">The model whose weights are averaged.</param>
    /// <param name="decay">The decay (in [0, 1)): each update keeps this share of the average; 0.999 averages about the last 1,000 steps.</param>
    /// <param name="warmup">Whether the decay ramps up as (1 + t) / (10 + t) over the first updates.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="decay"/> outside [0, 1).</exception>
    public ExponentialMovingAverage(Module model, double decay = 0.999, bool warmup = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(decay is >= 0 and < 1))
            throw new ArgumentOutOfRangeException(nameof(decay), decay, $"ExponentialMovingAverage: the decay must be in [0, 1) (got {decay.ToString(CultureInfo.InvariantCulture)}).");
        Decay = decay;
        Warmup = warmup;
        entries = [.. model.StateDict().Select(kv => (kv.Key, kv.Value, kv.Value.CloneData()))];
    }

    /// <summary>The decay once warmed up.</summary>
    public double Decay { get; }

    /// <summary>Whether the decay ramps up over the first updates.</summary>
    public bool Warmup { get; }

    /// <summary>Updates so far (t).</summary>
    public long Updates { get; private set; }

    /// <summary>The decay the next update uses.</summary>
    public double NextDecay => Warmup ? Math.Min(Decay, (1.0 + Updates) / (10.0 + Updates)) : Decay;

    /// <summary>True while the averages are swapped into the model (updating is then refused).</summary>
    public bool IsAverageSwappedIn => swapped;

    /// <summary>Folds the model's current weights into the average; call after each optimiser step.</summary>
    /// <exception cref="InvalidOperationException">The averages are swapped into the model.</exception>
    public void Update()
    {
        if (swapped) throw new InvalidOperationException("ExponentialMovingAverage.Update: the averaged weights are swapped into the model; swap them back (dispose the UseAverage scope) first.");
        double d = NextDecay;
        using var noGrad = GradMode.NoGrad();
        foreach (var (_, live, shadow) in entries)
        {
            if (!live.DType.IsFloatingPoint()) shadow.CopyFrom(live);
            else shadow.Mul_(d).Add_(live, 1 - d);
        }
        Updates++;
    }

    /// <summary>
    /// Swaps the averaged weights into the model until the returned scope is disposed:
    /// <c>using (ema.UseAverage()) { evaluate(model); }</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">They are already swapped in.</exception>
    public IDisposable UseAverage()
    {
        if (swapped) throw new InvalidOperationException("ExponentialMovingAverage.UseAverage: the averaged weights are already swapped in.");
        Swap();
        return new SwapBack(this);
    }

    private void Swap()
    {
        using var noGrad = GradMode.NoGrad();
        foreach (var (_, live, shadow) in entries)
        {
            using var held = live.CloneData();
            live.CopyFrom(shadow);
            shadow.CopyFrom(held);
        }
        swapped = !swapped;
    }

    private sealed class SwapBack(ExponentialMovingAverage owner) : IDisposable
    {
        private ExponentialMovingAverage? owner = owner;

        public void Dispose()
        {
            if (owner is { swapped: true }) owner.Swap();
            owner = null;
        }
    }

    /// <summary>The averaged tensors by the model's state-dict names (live tensors: read them, don't modify them).</summary>
    /// <exception cref="InvalidOperationException">The averages are swapped into the model.</exception>
    public IReadOnlyList<KeyValuePair<string, Tensor>> StateDict()
    {
        if (swapped) throw new InvalidOperationException("ExponentialMovingAverage.StateDict: swap the averaged weights back out first.");
        return [.. entries.Select(e => new KeyValuePair<string, Tensor>(e.Name, e.Shadow))];
    }

    /// <summary>Restores the averages (by the model's state-dict names, every one present with its shape) and the update count.</summary>
    /// <exception cref="ArgumentException">A name is missing or unexpected, or a shape differs (all named); nothing is changed then.</exception>
    public void LoadStateDict(IEnumerable<KeyValuePair<string, Tensor>> state, long updates)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (swapped) throw new InvalidOperationException("ExponentialMovingAverage.LoadStateDict: swap the averaged weights back out first.");
        ArgumentOutOfRangeException.ThrowIfNegative(updates);
        var given = state.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var (name, _, shadow) in entries)
        {
            if (!given.TryGetValue(name, out var t)) problems.Add($"missing '{name}'");
            else if (!t.ShapeArray.SequenceEqual(shadow.ShapeArray)) problems.Add($"'{name}' is [{string.Join(", ", t.ShapeArray)}], the model's [{string.Join(", ", shadow.ShapeArray)}]");
        }
        foreach (var name in given.Keys.Except(entries.Select(e => e.Name), StringComparer.Ordinal)) problems.Add($"unexpected '{name}'");
        if (problems.Count > 0) throw new ArgumentException($"ExponentialMovingAverage.LoadStateDict: the averages do not fit the model: {string.Join("; ", problems)}.", nameof(state));
        using var noGrad = GradMode.NoGrad();
        foreach (var (name, _, shadow) in entries) shadow.CopyFrom(given[name]);
        Updates = updates;
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"ExponentialMovingAverage(decay={Decay}, warmup={Warmup}, updates={Updates})");
}
