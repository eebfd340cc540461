using Axon.Models.Training;
using Axon.Nn;
using Axon.Optim;

namespace Axon.Models.Generative;

/// <summary>The generator's objective in a GAN.</summary>
public enum GanGeneratorLoss
{
    /// <summary>Maximise log D(G(z)) (Goodfellow et al.'s practical choice: strong gradients early on).</summary>
    NonSaturating,

    /// <summary>Minimise log(1 − D(G(z))), the minimax game as written, whose gradient vanishes while D wins.</summary>
    Saturating,
}

/// <summary>
/// A generative adversarial network: a generator G from codes z ~ N(0, I) of <see cref="Latent"/> dimensions to
/// samples, and a discriminator D from samples to one logit (real vs generated). <c>Forward(z)</c> is G(z).
/// State-dict keys: <c>generator.*</c>, <c>discriminator.*</c>, and the buffer <c>d_steps</c> (discriminator steps
/// taken, so that k-step training resumes exactly).
/// </summary>
public sealed class Gan : Module<Tensor, Tensor>
{
    /// <summary>Pairs a generator and a discriminator; <paramref name="latent"/> is the size of z.</summary>
    public Gan(Module<Tensor, Tensor> generator, Module<Tensor, Tensor> discriminator, int latent)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(discriminator);
        ArgumentOutOfRangeException.ThrowIfLessThan(latent, 1);
        Latent = latent;
        Generator = RegisterModule("generator", generator);
        Discriminator = RegisterModule("discriminator", discriminator);
        DiscriminatorSteps = RegisterBuffer("d_steps", Tensor.Zeros([], DType.Int64));
    }

    /// <summary>Size of the code z.</summary>
    public int Latent { get; }

    /// <summary>G: codes [N, latent] to samples.</summary>
    public Module<Tensor, Tensor> Generator { get; }

    /// <summary>D: samples to logits [N, 1] or [N].</summary>
    public Module<Tensor, Tensor> Discriminator { get; }

    /// <summary>Discriminator steps taken in training.</summary>
    public Tensor DiscriminatorSteps { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 2 || input.Size(1) != Latent)
            throw new ArgumentException($"Gan: codes must be [N, {Latent}], got [{string.Join(", ", input.Shape.ToArray())}].", nameof(input));
        return Generator.Call(input);
    }

    /// <summary>n codes from N(0, I) on the model's device.</summary>
    public Tensor Codes(int n, Axon.Generator? noise)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        var p = Parameters().First();
        return Tensor.Randn([n, Latent], noise, p.DType, device: p.Device);
    }

    /// <summary>n samples G(z) in evaluation mode, without recording.</summary>
    public Tensor Sample(int n, Axon.Generator? noise = null)
    {
        bool wasTraining = Training;
        Eval();
        try
        {
            using var noGrad = GradMode.NoGrad();
            return Forward(Codes(n, noise));
        }
        finally
        {
            Train(wasTraining);
        }
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"latent={Latent}";
}

/// <summary>
/// Goodfellow et al.'s minibatch training of a <see cref="Gan"/> with the <see cref="Trainer"/>: each batch is one
/// discriminator step (ascend log D(x) + log(1 − D(G(z))) on the real batch and as many fresh samples), and every
/// <see cref="K"/>-th also one generator step (<see cref="GeneratorLoss"/>). One optimiser serves both players: in each
/// step only that player's parameters hold gradients (the others' are cleared), and the optimisers keep per-parameter
/// state, so this is exactly two optimisers with the same settings. Reported loss: the discriminator's; metrics
/// "d_loss", "g_loss" (the generator's loss on the same samples), "d_real" and "d_fake" (mean D(x) and D(G(z)), probabilities).
/// </summary>
public sealed class GanTask(Gan gan, Axon.Generator? noise = null) : TrainingTask
{
    private readonly Gan gan = gan ?? throw new ArgumentNullException(nameof(gan));
    private readonly Axon.Generator noise = noise ?? new Axon.Generator(0);

    /// <summary>The codes' random source, saved in checkpoints.</summary>
    public override IReadOnlyDictionary<string, Axon.Generator> Generators => new Dictionary<string, Axon.Generator> { ["noise"] = noise };

    /// <inheritdoc/>
    public override Module Model => gan;

    /// <summary>
    /// When true, real images in [0, 1] are mapped to [−1, 1] (x ↦ 2x − 1) before the discriminator sees them, to match
    /// a generator ending in Tanh.
    /// </summary>
    public bool ScaleInputs { get; init; }

    /// <summary>Discriminator steps per generator step (Goodfellow's k).</summary>
    public int K { get; init; } = 1;

    /// <summary>The generator's objective.</summary>
    public GanGeneratorLoss GeneratorLoss { get; init; } = GanGeneratorLoss.NonSaturating;

    /// <summary>The discriminator's loss on a real batch and generated samples: BCE(D(x), 1) + BCE(D(G(z)), 0), both means.</summary>
    public override TaskLoss Loss(Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (ScaleInputs) input = input * 2.0 - 1.0;
        int n = input.Size(0);
        // The discriminator's step needs no gradient through G: generate without recording.
        Tensor fake;
        using (GradMode.NoGrad()) fake = gan.Forward(gan.Codes(n, noise));
        var realLogits = gan.Discriminator.Call(input);
        var fakeLogits = gan.Discriminator.Call(fake);
        var loss = Functional.BinaryCrossEntropyWithLogits(realLogits, Tensor.OnesLike(realLogits))
            + Functional.BinaryCrossEntropyWithLogits(fakeLogits, Tensor.ZerosLike(fakeLogits));
        double dLoss = loss.Item();
        return new TaskLoss(loss, n, new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["d_loss"] = dLoss * n,
            ["g_loss"] = GeneratorObjective(fakeLogits).Item() * n,
            ["d_real"] = realLogits.Sigmoid().Mean().Item() * n,
            ["d_fake"] = fakeLogits.Sigmoid().Mean().Item() * n,
        });
    }

    /// <inheritdoc/>
    public override string? DataParallelUnsupported => "its step takes two optimiser steps per batch (the discriminator's, then the generator's), and the gradient averaging handles one";

    /// <inheritdoc/>
    public override (TaskLoss Loss, double Objective) TrainStep(Tensor input, Tensor target, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(context);
        if (K < 1) throw new InvalidOperationException($"GanTask: K must be at least 1, got {K}.");
        var optimizer = context.Optimizer;
        ReleaseGradients(optimizer);
        var d = Loss(input, target);
        d.Loss.Backward();
        Clear(gan.Generator);
        optimizer.Step();
        long steps = (long)gan.DiscriminatorSteps.Item() + 1;
        gan.DiscriminatorSteps.Fill(steps);
        if (steps % K == 0)
        {
            ReleaseGradients(optimizer);
            // D's weights get no step here, so their gradients are not even computed (only those through D to G).
            using (Frozen(gan.Discriminator))
            {
                var logits = gan.Discriminator.Call(gan.Forward(gan.Codes(input.Size(0), noise)));
                GeneratorObjective(logits).Backward();
            }
            Clear(gan.Discriminator);
            optimizer.Step();
        }
        return (d, d.Loss.Item());
    }

    /// <summary>The generator's loss on the discriminator's logits for generated samples (a mean).</summary>
    public Tensor GeneratorObjective(Tensor fakeLogits) => GeneratorLoss == GanGeneratorLoss.NonSaturating
        ? Functional.BinaryCrossEntropyWithLogits(fakeLogits, Tensor.OnesLike(fakeLogits))
        : -Functional.BinaryCrossEntropyWithLogits(fakeLogits, Tensor.ZerosLike(fakeLogits));

    private static void Clear(Module player) => ReleaseGradients(player.Parameters());

    /// <summary>
    /// Sets the gradients of <paramref name="parameters"/> to none, as <see cref="Optimizer.ZeroGrad(bool)"/>, and gives their
    /// buffers back to the pool. A GAN step clears a player's gradients so that its optimiser skips it; dropped, those
    /// buffers (the generator's first layer alone is 800 KB) went to the collector and every step faulted in fresh pages.
    /// The gradients are the engine's own copies, held by nothing but the parameter.
    /// </summary>
    internal static void ReleaseGradients(IEnumerable<Tensor> parameters)
    {
        foreach (var p in parameters)
        {
            p.Grad?.Dispose();
            p.Grad = null;
        }
    }

    /// <summary><see cref="ReleaseGradients(IEnumerable{Tensor})"/> of every parameter <paramref name="optimizer"/> steps.</summary>
    internal static void ReleaseGradients(Optimizer optimizer)
    {
        foreach (var group in optimizer.ParamGroups) ReleaseGradients(group.Parameters);
    }

    /// <summary>Stops gradients to the modules' parameters until disposed (their <c>RequiresGrad</c> is restored then).</summary>
    internal static IDisposable Frozen(params Module[] modules)
    {
        var frozen = modules.SelectMany(m => m.Parameters()).Where(p => p.RequiresGrad).ToList();
        foreach (var p in frozen) p.RequiresGrad = false;
        return new Restore(frozen);
    }

    private sealed class Restore(List<Tensor> frozen) : IDisposable
    {
        public void Dispose()
        {
            foreach (var p in frozen) p.RequiresGrad = true;
        }
    }
}
