namespace Axon.Optim;

/// <summary>
/// Hyper-parameters for <see cref="OptimizerFactory.Create(string, IEnumerable{Tensor}, OptimizerSettings)"/>: the union
/// of the options of the optimisers. A null field takes the chosen optimiser's default (PyTorch's, or Axon's
/// where PyTorch has none, e.g. SGD's learning rate); fields the optimiser does not take are ignored
/// (<see cref="OptimizerFactory.SettingsOf"/> lists the ones it takes).
/// </summary>
public sealed record OptimizerSettings
{
    /// <summary>Learning rate (every optimiser).</summary>
    public double? Lr { get; init; }

    /// <summary>Momentum factor (sgd, rmsprop).</summary>
    public double? Momentum { get; init; }

    /// <summary>Dampening of the momentum (sgd).</summary>
    public double? Dampening { get; init; }

    /// <summary>Nesterov momentum (sgd).</summary>
    public bool? Nesterov { get; init; }

    /// <summary>Weight decay (every optimiser; decoupled for adamw, whose default is 1e-2).</summary>
    public double? WeightDecay { get; init; }

    /// <summary>β₁, PyTorch's <c>betas[0]</c> (adam, adamw).</summary>
    public double? Beta1 { get; init; }

    /// <summary>β₂, PyTorch's <c>betas[1]</c> (adam, adamw).</summary>
    public double? Beta2 { get; init; }

    /// <summary>ε of the denominator (adagrad, rmsprop, adam, adamw, adadelta).</summary>
    public double? Eps { get; init; }

    /// <summary>Smoothing constant (rmsprop, default 0.99) or power of the rate decay (torch-asgd, default 0.75).</summary>
    public double? Alpha { get; init; }

    /// <summary>Decay of the running averages (adadelta).</summary>
    public double? Rho { get; init; }

    /// <summary>Centred RMSprop (rmsprop).</summary>
    public bool? Centered { get; init; }

    /// <summary>AMSGrad (adam, adamw).</summary>
    public bool? AmsGrad { get; init; }

    /// <summary>Learning-rate decay (adagrad).</summary>
    public double? LrDecay { get; init; }

    /// <summary>Initial value of the accumulator (adagrad).</summary>
    public double? InitialAccumulatorValue { get; init; }

    /// <summary>Decay term λ (torch-asgd).</summary>
    public double? Lambd { get; init; }

    /// <summary>Step after which averaging starts: torch-asgd (default 1e6) and asgd, the lecture's average (default 0, a whole number).</summary>
    public double? T0 { get; init; }

    /// <summary>Ascend the objective instead of descending it (every optimiser except asgd).</summary>
    public bool? Maximize { get; init; }
}

/// <summary>
/// Creates optimisers by name, for command lines and configuration files:
/// <c>OptimizerFactory.Create("adam", model.Parameters(), new OptimizerSettings { Lr = 3e-4 })</c>.
/// </summary>
public static class OptimizerFactory
{
    private static readonly string[] KnownNames = ["sgd", "asgd", "torch-asgd", "adagrad", "rmsprop", "adam", "adamw", "adadelta"];

    /// <summary>
    /// The known names: <c>sgd</c> (<see cref="Sgd"/>), <c>asgd</c> (<see cref="AveragedSgd"/>, the lecture's running
    /// average), <c>torch-asgd</c> (<see cref="Asgd"/>, PyTorch's ASGD), <c>adagrad</c>, <c>rmsprop</c>, <c>adam</c>,
    /// <c>adamw</c>, <c>adadelta</c>.
    /// </summary>
    public static IReadOnlyList<string> Names => KnownNames;

    /// <summary>The names of the <see cref="OptimizerSettings"/> properties the optimiser <paramref name="name"/> takes.</summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the known ones).</exception>
    public static IReadOnlyList<string> SettingsOf(string name) => Normalize(name) switch
    {
        "sgd" => [nameof(OptimizerSettings.Lr), nameof(OptimizerSettings.Momentum), nameof(OptimizerSettings.Dampening), nameof(OptimizerSettings.WeightDecay), nameof(OptimizerSettings.Nesterov), nameof(OptimizerSettings.Maximize)],
        "asgd" => [nameof(OptimizerSettings.Lr), nameof(OptimizerSettings.WeightDecay), nameof(OptimizerSettings.T0)],
        "torch-asgd" => [nameof(OptimizerSettings.Lr), nameof(OptimizerSettings.Lambd), nameof(OptimizerSettings.Alpha), nameof(OptimizerSettings.T0), nameof(OptimizerSettings.WeightDecay), nameof(OptimizerSettings.Maximize)],
        "adagrad" => [nameof(OptimizerSettings.Lr), nameof(OptimizerSettings.LrDecay), nameof(OptimizerSettings.WeightDecay), nameof(OptimizerSettings.InitialAccumulatorValue), nameof(OptimizerSettings.Eps), nameof(OptimizerSettings.Maximize)],
        "rmsprop" => [nameof(OptimizerSettings.Lr), nameof(OptimizerSettings.Alpha), nameof(OptimizerSettings.Eps), nameof(OptimizerSettings.WeightDecay), nameof(OptimizerSettings.Momentum), nameof(OptimizerSettings.Centered), nameof(OptimizerSettings.Maximize)],
        "adam" or "adamw" => [nameof(OptimizerSettings.Lr), nameof(OptimizerSettings.Beta1), nameof(OptimizerSettings.Beta2), nameof(OptimizerSettings.Eps), nameof(OptimizerSettings.WeightDecay), nameof(OptimizerSettings.AmsGrad), nameof(OptimizerSettings.Maximize)],
        _ => [nameof(OptimizerSettings.Lr), nameof(OptimizerSettings.Rho), nameof(OptimizerSettings.Eps), nameof(OptimizerSettings.WeightDecay), nameof(OptimizerSettings.Maximize)],
    };

    /// <summary>The learning rate the optimiser <paramref name="name"/> takes when <see cref="OptimizerSettings.Lr"/> is unset (PyTorch's default; 1e-3 for sgd, which has none there).</summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the known ones).</exception>
    public static double DefaultLr(string name) => Normalize(name) switch
    {
        "sgd" or "adam" or "adamw" => 1e-3,
        "adadelta" => 1.0,
        _ => 1e-2,
    };

    /// <summary>Creates the optimiser <paramref name="name"/> (case-insensitive, one of <see cref="Names"/>) over one group of parameters.</summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the known ones).</exception>
    /// <exception cref="ArgumentOutOfRangeException">An invalid hyper-parameter (named by the exception).</exception>
    public static Optimizer Create(string name, IEnumerable<Tensor> parameters, OptimizerSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return Create(name, [new ParamGroup(parameters)], settings);
    }

    /// <summary>
    /// Creates the optimiser <paramref name="name"/> over several parameter groups; <paramref name="settings"/> are the
    /// defaults for the options a group does not set.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the known ones).</exception>
    /// <exception cref="ArgumentOutOfRangeException">An invalid hyper-parameter (named by the exception).</exception>
    public static Optimizer Create(string name, IEnumerable<ParamGroup> groups, OptimizerSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var s = settings ?? new OptimizerSettings();
        double lr = s.Lr ?? DefaultLr(name);
        return Normalize(name) switch
        {
            "sgd" => new Sgd(groups, lr, s.Momentum ?? 0, s.Dampening ?? 0, s.WeightDecay ?? 0, s.Nesterov ?? false, s.Maximize ?? false),
            "asgd" => new AveragedSgd(groups, lr, s.WeightDecay ?? 0, AverageStart(s.T0)),
            "torch-asgd" => new Asgd(groups, lr, s.Lambd ?? 1e-4, s.Alpha ?? 0.75, s.T0 ?? 1e6, s.WeightDecay ?? 0, s.Maximize ?? false),
            "adagrad" => new Adagrad(groups, lr, s.LrDecay ?? 0, s.WeightDecay ?? 0, s.InitialAccumulatorValue ?? 0, s.Eps ?? 1e-10, s.Maximize ?? false),
            "rmsprop" => new RmsProp(groups, lr, s.Alpha ?? 0.99, s.Eps ?? 1e-8, s.WeightDecay ?? 0, s.Momentum ?? 0, s.Centered ?? false, s.Maximize ?? false),
            "adam" => new Adam(groups, lr, s.Beta1 ?? 0.9, s.Beta2 ?? 0.999, s.Eps ?? 1e-8, s.WeightDecay ?? 0, s.AmsGrad ?? false, s.Maximize ?? false),
            "adamw" => new AdamW(groups, lr, s.Beta1 ?? 0.9, s.Beta2 ?? 0.999, s.Eps ?? 1e-8, s.WeightDecay ?? 1e-2, s.AmsGrad ?? false, s.Maximize ?? false),
            _ => new Adadelta(groups, lr, s.Rho ?? 0.9, s.Eps ?? 1e-6, s.WeightDecay ?? 0, s.Maximize ?? false),
        };
    }

    private static string Normalize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string n = name.Trim().ToLowerInvariant();
        if (Array.IndexOf(KnownNames, n) < 0)
            throw new ArgumentException($"Unknown optimizer '{name}'; known optimizers: {string.Join(", ", KnownNames)}.", nameof(name));
        return n;
    }

    private static long AverageStart(double? t0)
    {
        if (t0 is not double v) return 0;
        if (!(v >= 0) || v != Math.Floor(v) || v > long.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(t0), v, "Invalid T0 for asgd (the lecture's average): it must be a non-negative whole number of steps.");
        return (long)v;
    }
}
