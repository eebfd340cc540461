using Axon.Data;
using Axon.Models.Siamese;
using Axon.Models.Training;
using Axon.Nn;

namespace Axon.Models.Generative;

/// <summary>
/// What <see cref="GenerativeZoo.Prepare"/> builds for training one of the zoo's models on Fashion-MNIST: the task and
/// the datasets it trains and is tested on (images for most; pairs of images for the Siamese network).
/// </summary>
public sealed class GenerativeSetup
{
    /// <summary>The task the trainer runs.</summary>
    public required TrainingTask Task { get; init; }

    /// <summary>The training set the task takes.</summary>
    public required IDataset Train { get; init; }

    /// <summary>The test set the task is scored on after each epoch.</summary>
    public required IDataset Test { get; init; }

    /// <summary>Called with the 0-based epoch before it starts (the Siamese pairs are drawn afresh per epoch).</summary>
    public Action<int>? BeforeEpoch { get; init; }

    /// <summary>Scores computed once after training, beyond the task's test metrics (the Siamese network's few-shot accuracy).</summary>
    public Func<IReadOnlyDictionary<string, double>>? FinalMetrics { get; init; }
}

/// <summary>
/// The unsupervised and generative models by name, as <c>axon train --model</c> knows them, each with its training
/// recipe (the options <c>axon train</c> starts from) for Fashion-MNIST's [N, 1, 28, 28] images in [0, 1].
/// </summary>
public static class GenerativeZoo
{
    private sealed record Entry(string Description, Func<Generator?, Module> Create, TrainerOptions Recipe);

    private static TrainerOptions Adam(double lr, int batch, int epochs, double beta1 = 0.9) => new()
    {
        Optimizer = "adam",
        OptimizerSettings = new() { Lr = lr, Beta1 = beta1 },
        Schedule = "none",
        BatchSize = batch,
        Epochs = epochs,
    };

    private static readonly TrainerOptions AutoencoderRecipe = Adam(1e-3, 128, 10);
    private static readonly TrainerOptions GanRecipe = Adam(2e-4, 64, 10, beta1: 0.5);

    private static readonly Dictionary<string, Entry> Models = new(StringComparer.OrdinalIgnoreCase)
    {
        ["autoencoder"] = new("undercomplete MLP autoencoder 784-256-64 (linear code), BCE reconstruction", g => new Autoencoder([784, 256, 64], generator: g), AutoencoderRecipe),
        ["conv-autoencoder"] = new("undercomplete convolutional autoencoder (two stride-2 convolutions to a 32-d code, two transposed convolutions back), BCE", g => new ConvAutoencoder(32, 16, generator: g), AutoencoderRecipe),
        ["denoising-ae"] = new("denoising autoencoder 784-256-64, inputs with Gaussian noise σ 0.5 (clamped to [0, 1])", g => new Autoencoder([784, 256, 64], generator: g), AutoencoderRecipe),
        ["sparse-ae"] = new("sparse autoencoder 784-256 with a sigmoid code and the KL sparsity penalty (ρ 0.05, β 1)", g => new Autoencoder([784, 256], codeActivation: () => new Sigmoid(), generator: g), AutoencoderRecipe),
        ["contractive-ae"] = new("contractive autoencoder 784-64 with a sigmoid code and the penalty 0.1·‖J‖² (second derivatives)", g => new Autoencoder([784, 64], codeActivation: () => new Sigmoid(), generator: g), AutoencoderRecipe with { Epochs = 3 }),
        ["vae"] = new("variational autoencoder 784-400-20 (Kingma and Welling), Bernoulli decoder; loss −ELBO in nats per image", g => new Vae(784, 400, 20, generator: g), AutoencoderRecipe),
        ["gan"] = new("fully connected GAN (generator 64-256-512-784, discriminator 784-512-256-1), k = 1, non-saturating", g => MlpGan.Create(64, 256, g), GanRecipe),
        ["dcgan"] = new("DCGAN for 28x28 (transposed convolutions, batch norm), latent 64, width 32", g => DcGan.Create(64, 32, g), GanRecipe with { Epochs = 5 }),
        ["infogan"] = new("InfoGAN: noise 62, a 10-way categorical code and 2 continuous codes, DCGAN layout at width 32", g => InfoGan.ForFashionMnist(generator: g), GanRecipe with { Epochs = 5 }),
        ["siamese"] = new("Siamese CNN embedding (64-d), contrastive loss on pairs of classes 0-5; scored 5-way 1- and 5-shot on the held-out classes 6-9 plus a distractor", g => SiameseNetwork.ForFashionMnist(64, g), Adam(1e-3, 128, 3)),
    };

    /// <summary>
    /// The first Fashion-MNIST class held out of the Siamese network's training: it trains on classes 0–5, and is scored
    /// on 5-way episodes of test images made of the held-out classes 6–9 and one seen class as a distractor.
    /// </summary>
    public const int FirstHeldOutClass = 6;

    /// <summary>Siamese training pairs per epoch.</summary>
    public const int SiamesePairsPerEpoch = 30_000;

    /// <summary>The known model names with one-line descriptions.</summary>
    public static IReadOnlyList<(string Name, string Description)> Names => Models.Select(kv => (kv.Key, kv.Value.Description)).ToList();

    /// <summary>Whether <paramref name="name"/> is one of the zoo's models.</summary>
    public static bool Contains(string name) => Models.ContainsKey(name);

    /// <summary>The options <c>axon train</c> starts from for the model (Adam; rate 2e-4 and β1 0.5 for the GANs).</summary>
    public static TrainerOptions TrainingRecipe(string name) => Get(name).Recipe;

    /// <summary>The corruption the model is trained to undo (the denoising autoencoder's Gaussian noise σ 0.5), or null.</summary>
    public static Transform? Corruption(string name) => Get(name) is not null && name.Equals("denoising-ae", StringComparison.OrdinalIgnoreCase) ? new GaussianNoise(0.5) : null;

    /// <summary>Creates the model, initialised from <paramref name="generator"/>.</summary>
    public static Module Create(string name, Generator? generator = null) => Get(name).Create(generator);

    /// <summary>
    /// The task and datasets for training <paramref name="model"/> (made by <see cref="Create"/> with this
    /// <paramref name="name"/>) on Fashion-MNIST's <paramref name="train"/> and <paramref name="test"/> sets. The tasks'
    /// own random sources (codes, noise, corruption, pairs) derive from <paramref name="seed"/> and are saved in checkpoints.
    /// </summary>
    public static GenerativeSetup Prepare(string name, Module model, IDataset train, IDataset test, long seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        Get(name);
        var noise = new Generator(seed + 1);
        GenerativeSetup Images(TrainingTask task) => new() { Task = task, Train = train, Test = test };
        return (name.ToLowerInvariant(), model) switch
        {
            ("autoencoder" or "conv-autoencoder", AutoencoderBase ae) => Images(new AutoencoderTask(ae)),
            ("denoising-ae", Autoencoder ae) => Images(new AutoencoderTask(ae) { Corruption = Corruption(name), CorruptionGenerator = noise }),
            ("sparse-ae", Autoencoder ae) => Images(new AutoencoderTask(ae) { KlSparsityWeight = 1, KlSparsityTarget = 0.05 }),
            ("contractive-ae", Autoencoder ae) => Images(new AutoencoderTask(ae) { Contractive = 0.1 }),
            ("vae", Vae vae) => Images(new VaeTask(WithNoise(vae, noise))),
            ("gan" or "dcgan", Gan gan) => Images(new GanTask(gan, noise) { ScaleInputs = true }),
            ("infogan", InfoGan gan) => Images(new InfoGanTask(gan, noise) { ScaleInputs = true }),
            ("siamese", SiameseNetwork net) => Siamese(net, train, test, seed),
            _ => throw new ArgumentException($"GenerativeZoo: {name} is not a {model.GetType().Name}.", nameof(model)),
        };
    }

    private static Vae WithNoise(Vae vae, Generator noise)
    {
        vae.Noise = noise;
        return vae;
    }

    private static GenerativeSetup Siamese(SiameseNetwork net, IDataset train, IDataset test, long seed)
    {
        var seen = new ClassIndex(train, Enumerable.Range(0, FirstHeldOutClass));
        var heldOut = new ClassIndex(test, Enumerable.Range(FirstHeldOutClass, 10 - FirstHeldOutClass));
        var episodes = new ClassIndex(test);
        var pairs = new SiamesePairs(seen, Math.Min(SiamesePairsPerEpoch, 2 * seen.Classes.Sum(c => seen.Of(c).Count)), seed + 2);
        var testPairs = new SiamesePairs(heldOut, Math.Max(2, Math.Min(5_000, heldOut.Classes.Sum(c => heldOut.Of(c).Count))), seed + 3);
        return new GenerativeSetup
        {
            Task = new SiameseTask(net),
            Train = pairs,
            Test = testPairs,
            BeforeEpoch = e => pairs.Epoch = e,
            FinalMetrics = () =>
            {
                // 5-way episodes on test images: the held-out classes in every episode, one seen class as a distractor.
                var held = heldOut.Classes.ToArray();
                int smallest = episodes.Classes.Min(c => episodes.Of(c).Count);
                var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (int shots in (int[])[1, 5])
                {
                    int queries = Math.Min(15, smallest - shots);
                    if (queries < 1) continue;
                    var r = FewShot.Evaluate(net.Encoder, episodes, 5, shots, queries, 1000, new Generator(seed + 3 + shots), held);
                    metrics[$"fewshot_5way_{shots}shot"] = r.Accuracy;
                    metrics[$"fewshot_5way_{shots}shot_se"] = r.StandardError;
                }
                return metrics;
            },
        };
    }

    private static Entry Get(string name) => Models.TryGetValue(name ?? throw new ArgumentNullException(nameof(name)), out var e) ? e
        : throw new ArgumentException($"Unknown generative model '{name}'. Known: {string.Join(", ", Models.Keys)}.", nameof(name));
}
