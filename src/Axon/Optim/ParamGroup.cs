namespace Axon.Optim;

/// <summary>
/// A set of parameters optimised with the same hyper-parameters, as an entry of PyTorch's
/// <c>optimizer.param_groups</c>. Give an optimiser several groups to train layers at different rates:
/// <code>
/// var sgd = new Sgd([new ParamGroup(model.Backbone.Parameters(), lr: 1e-3), new ParamGroup(model.Head.Parameters())], lr: 1e-2);
/// </code>
/// Options the group does not set (null arguments, or keys never assigned) take the optimiser's defaults.
/// Hyper-parameters are stored by PyTorch's key names (<c>"lr"</c>, <c>"weight_decay"</c>, <c>"momentum"</c>, ...);
/// schedulers change <see cref="Lr"/> between steps.
/// </summary>
public sealed class ParamGroup
{
    /// <summary>PyTorch's key of the learning rate.</summary>
    public const string LrKey = "lr";

    /// <summary>PyTorch's key of the L2 weight decay.</summary>
    public const string WeightDecayKey = "weight_decay";

    /// <summary>PyTorch's key of the learning rate a scheduler started from (set by the first scheduler).</summary>
    public const string InitialLrKey = "initial_lr";

    private readonly List<Tensor> parameters;
    private readonly Dictionary<string, double> options = new(StringComparer.Ordinal);

    /// <summary>Creates a group; <paramref name="lr"/> and <paramref name="weightDecay"/> override the optimiser's defaults when given.</summary>
    public ParamGroup(IEnumerable<Tensor> parameters, double? lr = null, double? weightDecay = null)
    {
        this.parameters = [.. parameters];
        if (lr is double l) options[LrKey] = l;
        if (weightDecay is double w) options[WeightDecayKey] = w;
    }

    /// <summary>The tensors of the group, in order.</summary>
    public IReadOnlyList<Tensor> Parameters => parameters;

    internal List<Tensor> ParameterList => parameters;

    /// <summary>Learning rate of the group.</summary>
    public double Lr
    {
        get => this[LrKey];
        set => this[LrKey] = value;
    }

    /// <summary>L2 weight decay of the group (added to the gradient as <c>weightDecay * w</c>).</summary>
    public double WeightDecay
    {
        get => this[WeightDecayKey];
        set => this[WeightDecayKey] = value;
    }

    /// <summary>The learning rate the first scheduler attached to the optimiser found, or null before any scheduler.</summary>
    public double? InitialLr => options.TryGetValue(InitialLrKey, out var v) ? v : null;

    /// <summary>A hyper-parameter by its PyTorch key (e.g. "momentum"); throws <see cref="KeyNotFoundException"/> when absent.</summary>
    public double this[string key]
    {
        get => options.TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"The parameter group has no option '{key}'.");
        set => options[key] = value;
    }

    /// <summary>Sets an option and returns the group (for chaining: <c>new ParamGroup(ps).With("momentum", 0.5)</c>).</summary>
    public ParamGroup With(string key, double value)
    {
        options[key] = value;
        return this;
    }

    /// <summary>True when the group has a value for <paramref name="key"/>.</summary>
    public bool Has(string key) => options.ContainsKey(key);

    /// <summary>All options of the group.</summary>
    public IReadOnlyDictionary<string, double> Options => options;

    /// <summary>Fills the options the group does not set from <paramref name="defaults"/>.</summary>
    internal void ApplyDefaults(IReadOnlyDictionary<string, double> defaults)
    {
        foreach (var (k, v) in defaults) options.TryAdd(k, v);
    }
}
