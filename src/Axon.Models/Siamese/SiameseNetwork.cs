using Axon.Models.Training;
using Axon.Nn;

namespace Axon.Models.Siamese;

/// <summary>The objective a Siamese network is trained with.</summary>
public enum SiameseObjective
{
    /// <summary>Pairs with a same-class label: the contrastive loss of Hadsell, Chopra and LeCun (2006).</summary>
    Contrastive,

    /// <summary>Anchor, positive and negative: the triplet margin loss (Schroff et al. 2015).</summary>
    Triplet,
}

/// <summary>
/// A Siamese network: one encoder, its weights shared by every image of a pair or triplet, mapping images to
/// embeddings whose Euclidean distance says whether two images show the same class. <c>Forward(x)</c> embeds a batch;
/// <see cref="ForFashionMnist"/> builds the small CNN used on 28×28 images. State-dict keys: <c>encoder.*</c>.
/// </summary>
public sealed class SiameseNetwork : Module<Tensor, Tensor>
{
    /// <summary>Wraps <paramref name="encoder"/>, images to embeddings [N, D].</summary>
    public SiameseNetwork(Module<Tensor, Tensor> encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        Encoder = RegisterModule("encoder", encoder);
    }

    /// <summary>The shared encoder.</summary>
    public Module<Tensor, Tensor> Encoder { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Encoder.Call(input);

    /// <summary>
    /// Two 3×3 convolutions (32 and 64 channels, ReLU, 2×2 max-pooling each), then Linear 3136 → 128, ReLU, Linear 128 →
    /// <paramref name="embedding"/>: [N, 1, 28, 28] → [N, embedding].
    /// </summary>
    public static SiameseNetwork ForFashionMnist(int embedding = 64, Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(embedding, 1);
        return new SiameseNetwork(new Sequential(
            new Conv2d(1, 32, 3, padding: 1, generator: generator), new ReLU(), new MaxPool2d(2),
            new Conv2d(32, 64, 3, padding: 1, generator: generator), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(64 * 7 * 7, 128, generator: generator), new ReLU(), new Linear(128, embedding, generator: generator)));
    }
}

/// <summary>
/// Trains a <see cref="SiameseNetwork"/> on <see cref="SiamesePairs"/> (input [N, 2, C, H, W], target 1 for a same-class
/// pair, 0 otherwise; the contrastive loss) or <see cref="SiameseTriplets"/> (input [N, 3, C, H, W]; the triplet margin
/// loss). All images of a batch go through the encoder in one pass. Metric "distance_same" and "distance_different"
/// (contrastive) or "triplet_order" (the fraction of triplets with the positive nearer than the negative).
/// </summary>
public sealed class SiameseTask(SiameseNetwork network, SiameseObjective objective = SiameseObjective.Contrastive, double margin = 1.0) : TrainingTask
{
    private readonly SiameseNetwork network = network ?? throw new ArgumentNullException(nameof(network));

    /// <inheritdoc/>
    public override Module Model => network;

    /// <summary>The objective.</summary>
    public SiameseObjective Objective { get; } = objective;

    /// <summary>The margin of the loss.</summary>
    public double Margin { get; } = margin > 0 ? margin : throw new ArgumentOutOfRangeException(nameof(margin), margin, "SiameseTask: the margin must be positive.");

    /// <inheritdoc/>
    public override TaskLoss Loss(Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        int k = Objective == SiameseObjective.Contrastive ? 2 : 3;
        if (input.Rank < 3 || input.Size(1) != k)
            throw new ArgumentException($"SiameseTask ({Objective}): inputs must be [N, {k}, ...] ({(k == 2 ? "pairs" : "triplets")}), got [{string.Join(", ", input.Shape.ToArray())}].", nameof(input));
        int n = input.Size(0);
        var shape = input.Shape.ToArray();
        // [N, k, ...] -> [k N, ...], each sample's images side by side (a view, no copy), so one encoder pass serves
        // them all; the embeddings [k N, D] viewed as [N, k, D] give each part as a strided [N, D].
        var e = network.Call(input.Reshape([k * n, .. shape[2..]]));
        var grouped = e.Reshape(n, k, -1);
        var parts = Enumerable.Range(0, k).Select(i => grouped.Select(1, i)).ToArray();
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        Tensor loss;
        if (k == 2)
        {
            ArgumentNullException.ThrowIfNull(target);
            var y = target.Reshape(n).To(e.DType);
            loss = Functional.ContrastiveLoss(parts[0], parts[1], y, Margin);
            var d = Functional.PairwiseDistance(parts[0], parts[1]).ToArray<float>();
            var same = y.ToArray<float>();
            metrics["distance_same"] = d.Where((_, i) => same[i] == 1).Sum();
            metrics["distance_different"] = d.Where((_, i) => same[i] != 1).Sum();
        }
        else
        {
            loss = Functional.TripletMarginLoss(parts[0], parts[1], parts[2], Margin);
            var dp = Functional.PairwiseDistance(parts[0], parts[1]).ToArray<float>();
            var dn = Functional.PairwiseDistance(parts[0], parts[2]).ToArray<float>();
            metrics["triplet_order"] = dp.Zip(dn).Count(t => t.First < t.Second);
        }
        return new TaskLoss(loss, n, metrics);
    }
}
