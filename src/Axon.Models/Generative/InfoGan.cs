using Axon.Models.Training;
using Axon.Nn;

namespace Axon.Models.Generative;

/// <summary>
/// InfoGAN (Chen et al. 2016): a GAN whose generator also takes structured codes, a categorical code c of
/// <see cref="Categories"/> values (one-hot) and <see cref="Continuous"/> codes uniform in [−1, 1], besides the noise z;
/// an auxiliary head Q sharing the discriminator's trunk predicts the codes from the image, and maximising the
/// variational lower bound of the mutual information I(c; G(z, c)) makes each code control one factor of the images.
/// Generator input: [z, one-hot(c), continuous] ([N, noise + categories + continuous]). The discriminator is
/// <c>dHead(trunk(x))</c>, Q is <c>qHead(trunk(x))</c>: categorical logits, then the continuous codes' means.
/// State-dict keys: <c>generator.*</c>, <c>trunk.*</c>, <c>d_head.*</c>, <c>q_head.*</c>, <c>d_steps</c>.
/// </summary>
public sealed class InfoGan : Module<Tensor, Tensor>
{
    /// <summary>Pairs a generator and a discriminator trunk ending in <paramref name="features"/> values per image; adds the two heads.</summary>
    public InfoGan(Module<Tensor, Tensor> generator, Module<Tensor, Tensor> trunk, int features, int noise = 62, int categories = 10, int continuous = 2, Generator? init = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(trunk);
        if (features < 1 || noise < 0 || categories < 2 || continuous < 0)
            throw new ArgumentOutOfRangeException(nameof(categories), $"InfoGan: need features ≥ 1, noise ≥ 0, categories ≥ 2, continuous ≥ 0 (got {features}, {noise}, {categories}, {continuous}).");
        (Noise, Categories, Continuous) = (noise, categories, continuous);
        Generator = RegisterModule("generator", generator);
        Trunk = RegisterModule("trunk", trunk);
        DHead = RegisterModule("d_head", new Linear(features, 1, generator: init));
        QHead = RegisterModule("q_head", new Linear(features, categories + continuous, generator: init));
        DiscriminatorSteps = RegisterBuffer("d_steps", Tensor.Zeros([], DType.Int64));
    }

    /// <summary>
    /// InfoGAN for 28×28 single-channel images (the paper's MNIST layout at width <paramref name="width"/> instead of 64):
    /// the generator of <see cref="DcGan.CreateGenerator"/> on noise + categories + continuous inputs; the trunk of
    /// <see cref="DcGan.CreateTrunk"/> followed by Linear (no bias) to <paramref name="features"/> → BatchNorm1d →
    /// LeakyReLU 0.2, shared by D's head and Q's. Weights start as DCGAN's (<see cref="DcGan.InitializeWeights"/>).
    /// </summary>
    public static InfoGan ForFashionMnist(int noise = 62, int categories = 10, int continuous = 2, int width = 32, int features = 128, Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        var trunk = DcGan.CreateTrunk(width, generator);
        trunk.Append(new Linear(2 * width * 7 * 7, features, bias: false, generator: generator));
        trunk.Append(new BatchNorm1d(features));
        trunk.Append(new LeakyReLU(0.2));
        var gan = new InfoGan(DcGan.CreateGenerator(noise + categories + continuous, width, generator), trunk, features, noise, categories, continuous, generator);
        DcGan.InitializeWeights(gan, generator);
        return gan;
    }

    /// <summary>Size of the unstructured noise z.</summary>
    public int Noise { get; }

    /// <summary>Values of the categorical code.</summary>
    public int Categories { get; }

    /// <summary>Number of continuous codes.</summary>
    public int Continuous { get; }

    /// <summary>The generator's input size.</summary>
    public int Latent => Noise + Categories + Continuous;

    /// <summary>G.</summary>
    public Module<Tensor, Tensor> Generator { get; }

    /// <summary>The discriminator's body, shared by D and Q.</summary>
    public Module<Tensor, Tensor> Trunk { get; }

    /// <summary>The real-or-generated logit.</summary>
    public Linear DHead { get; }

    /// <summary>The code predictor Q.</summary>
    public Linear QHead { get; }

    /// <summary>Discriminator steps taken in training.</summary>
    public Tensor DiscriminatorSteps { get; }

    /// <summary>G(input) for generator inputs [N, <see cref="Latent"/>].</summary>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 2 || input.Size(1) != Latent)
            throw new ArgumentException($"InfoGan: generator inputs must be [N, {Latent}] (noise {Noise} + categories {Categories} + continuous {Continuous}), got [{string.Join(", ", input.Shape.ToArray())}].", nameof(input));
        return Generator.Call(input);
    }

    /// <summary>D's logits and Q's outputs for images.</summary>
    public (Tensor Logits, Tensor Codes) Discriminate(Tensor images)
    {
        var h = Trunk.Call(images);
        return (DHead.Call(h), QHead.Call(h));
    }

    /// <summary>
    /// Generator inputs for given categories (null: drawn uniformly) and continuous codes (null: drawn from U(−1, 1)),
    /// with fresh noise; returns them with the categories used.
    /// </summary>
    public (Tensor Input, long[] Categories) Inputs(int n, Axon.Generator? random, long[]? categories = null, float[]? continuous = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        var rng = random ?? Axon.Generator.Default;
        var cats = categories ?? Enumerable.Range(0, n).Select(_ => rng.NextInt64(Categories)).ToArray();
        if (cats.Length != n || cats.Any(c => c < 0 || c >= Categories)) throw new ArgumentException($"InfoGan: give {n} categories in [0, {Categories}).", nameof(categories));
        var cont = continuous ?? Enumerable.Range(0, n * Continuous).Select(_ => (float)(2 * rng.NextDouble() - 1)).ToArray();
        if (cont.Length != n * Continuous) throw new ArgumentException($"InfoGan: give {n * Continuous} continuous values ({Continuous} per sample).", nameof(continuous));
        var z = Tensor.Randn([n, Noise], rng).ToArray<float>();
        var all = new float[n * Latent];
        for (int i = 0; i < n; i++)
        {
            Array.Copy(z, i * Noise, all, i * Latent, Noise);
            all[i * Latent + Noise + cats[i]] = 1;
            Array.Copy(cont, i * Continuous, all, i * Latent + Noise + Categories, Continuous);
        }
        var p = Parameters().First();
        return (Tensor.FromArray(all, n, Latent).To(p.DType).To(p.Device), cats);
    }

    /// <summary>n images for the given codes in evaluation mode, without recording.</summary>
    public Tensor Sample(int n, Axon.Generator? random = null, long[]? categories = null, float[]? continuous = null)
    {
        bool wasTraining = Training;
        Eval();
        try
        {
            using var noGrad = GradMode.NoGrad();
            return Forward(Inputs(n, random, categories, continuous).Input);
        }
        finally
        {
            Train(wasTraining);
        }
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"noise={Noise}, categories={Categories}, continuous={Continuous}";
}

/// <summary>
/// Trains an <see cref="InfoGan"/>: per batch one discriminator step (the GAN loss on D's head); every
/// <see cref="K"/>-th batch one step of the generator and Q together on the non-saturating GAN loss plus
/// λ_cat · cross-entropy(Q's categorical logits, c) + λ_cont · ½‖Q's means − c_cont‖² per sample (a Gaussian Q of unit
/// variance): minus the mutual-information lower bound, up to constants. Metrics "d_loss", "g_loss", "mi_cat",
/// "mi_cont" and "q_accuracy" (Q recovering c from G(z, c)).
/// </summary>
public sealed class InfoGanTask(InfoGan gan, Axon.Generator? noise = null) : TrainingTask
{
    private readonly InfoGan gan = gan ?? throw new ArgumentNullException(nameof(gan));
    private readonly Axon.Generator random = noise ?? new Axon.Generator(0);

    /// <summary>The codes' random source, saved in checkpoints.</summary>
    public override IReadOnlyDictionary<string, Axon.Generator> Generators => new Dictionary<string, Axon.Generator> { ["noise"] = random };

    /// <inheritdoc/>
    public override Module Model => gan;

    /// <summary>
    /// When true, real images in [0, 1] are mapped to [−1, 1] (x ↦ 2x − 1) before the discriminator sees them, to match
    /// a generator ending in Tanh.
    /// </summary>
    public bool ScaleInputs { get; init; }

    /// <summary>Discriminator steps per generator step.</summary>
    public int K { get; init; } = 1;

    /// <summary>Weight of the categorical code's information term.</summary>
    public double CategoricalWeight { get; init; } = 1;

    /// <summary>Weight of the continuous codes' information term.</summary>
    public double ContinuousWeight { get; init; } = 0.1;

    /// <summary>The discriminator's loss on a real batch and as many generated images.</summary>
    public override TaskLoss Loss(Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (ScaleInputs) input = input * 2.0 - 1.0;
        int n = input.Size(0);
        var (z, cats) = gan.Inputs(n, random);
        Tensor fake;
        using (GradMode.NoGrad()) fake = gan.Forward(z);
        var (realLogits, _) = gan.Discriminate(input);
        var (fakeLogits, codes) = gan.Discriminate(fake);
        var loss = Functional.BinaryCrossEntropyWithLogits(realLogits, Tensor.OnesLike(realLogits))
            + Functional.BinaryCrossEntropyWithLogits(fakeLogits, Tensor.ZerosLike(fakeLogits));
        var predicted = codes.Narrow(1, 0, gan.Categories).ArgMax(1).ToArray<long>();
        return new TaskLoss(loss, n, new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["d_loss"] = loss.Item() * n,
            ["g_loss"] = Functional.BinaryCrossEntropyWithLogits(fakeLogits, Tensor.OnesLike(fakeLogits)).Item() * n,
            ["q_accuracy"] = predicted.Zip(cats).Count(t => t.First == t.Second),
        });
    }

    /// <inheritdoc/>
    public override string? DataParallelUnsupported => "its step takes two optimiser steps per batch (the discriminator's, then the generator's), and the gradient averaging handles one";

    /// <inheritdoc/>
    public override (TaskLoss Loss, double Objective) TrainStep(Tensor input, Tensor target, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(context);
        if (K < 1) throw new InvalidOperationException($"InfoGanTask: K must be at least 1, got {K}.");
        var optimizer = context.Optimizer;
        GanTask.ReleaseGradients(optimizer);
        var d = Loss(input, target);
        d.Loss.Backward();
        Clear(gan.Generator, gan.QHead);
        optimizer.Step();
        long steps = (long)gan.DiscriminatorSteps.Item() + 1;
        gan.DiscriminatorSteps.Fill(steps);
        var metrics = new Dictionary<string, double>(d.MetricSums!, StringComparer.Ordinal);
        if (steps % K == 0)
        {
            GanTask.ReleaseGradients(optimizer);
            int n = input.Size(0);
            var (z, cats) = gan.Inputs(n, random);
            Tensor miCat, miCont;
            // The trunk and D's head get no step here, so their gradients are not computed (only those through them).
            using (GanTask.Frozen(gan.Trunk, gan.DHead))
            {
                var (logits, codes) = gan.Discriminate(gan.Forward(z));
                (miCat, miCont) = InformationTerms(codes, z, cats);
                var g = Functional.BinaryCrossEntropyWithLogits(logits, Tensor.OnesLike(logits)) + miCat * CategoricalWeight + miCont * ContinuousWeight;
                g.Backward();
            }
            // The generator and Q learn from this step; the discriminator's trunk and head keep only their own step.
            Clear(gan.Trunk, gan.DHead);
            optimizer.Step();
            metrics["mi_cat"] = miCat.Item() * n;
            metrics["mi_cont"] = miCont.Item() * n;
        }
        return (d with { MetricSums = metrics }, d.Loss.Item());
    }

    /// <summary>
    /// The two information terms (means over the batch): cross-entropy of Q's categorical logits against c, and
    /// ½ Σ (μ − c_cont)² over the continuous codes.
    /// </summary>
    public (Tensor Categorical, Tensor Continuous) InformationTerms(Tensor codes, Tensor generatorInput, long[] categories)
    {
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentNullException.ThrowIfNull(generatorInput);
        int n = codes.Size(0);
        var target = Tensor.FromArray(categories, n).To(codes.Device);
        var cat = Functional.CrossEntropy(codes.Narrow(1, 0, gan.Categories), target);
        var cont = gan.Continuous == 0 ? Tensor.Zeros([], codes.DType, codes.Device)
            : (codes.Narrow(1, gan.Categories, gan.Continuous) - generatorInput.Narrow(1, gan.Noise + gan.Categories, gan.Continuous).Detach()).Square().Sum() * (0.5 / n);
        return (cat, cont);
    }

    private static void Clear(params Module[] modules)
    {
        foreach (var m in modules) GanTask.ReleaseGradients(m.Parameters());
    }
}
