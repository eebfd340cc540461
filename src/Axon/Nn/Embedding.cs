using System.Globalization;

namespace Axon.Nn;

/// <summary>
/// A lookup table of <c>numEmbeddings</c> vectors of size <c>embeddingDim</c> (torch.nn.Embedding): each int64 index of
/// the input picks a row of <see cref="Weight"/>. Shape: indices [*] -> [*, embeddingDim]; weight [numEmbeddings,
/// embeddingDim] initialised N(0, 1), the padding row (when given) zero and never updated.
/// </summary>
public sealed class Embedding : Module<Tensor, Tensor>
{
    /// <summary>Creates the table (arguments as torch.nn.Embedding) and initialises it from <paramref name="generator"/>.</summary>
    /// <param name="numEmbeddings">Number of rows (the vocabulary size).</param>
    /// <param name="embeddingDim">Size of each vector.</param>
    /// <param name="paddingIdx">The row kept zero and given no gradient (negative: counted from the end), or null.</param>
    /// <param name="maxNorm">When set, looked-up rows whose norm exceeds it are rescaled in place to it.</param>
    /// <param name="normType">The p of the norm <paramref name="maxNorm"/> bounds.</param>
    /// <param name="dtype">The table's element type.</param>
    /// <param name="generator">The source of the N(0, 1) initialisation (<see cref="Generator.Default"/> when null).</param>
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIdx = null, double? maxNorm = null, double normType = 2,
        DType dtype = DType.Float32, Generator? generator = null)
        : this(NewTable(numEmbeddings, embeddingDim, dtype), paddingIdx, maxNorm, normType)
    {
        ResetOwnParameters(generator ?? Generator.Default);
    }

    // Takes the given table as the weight, as it is (from_pretrained does not zero the padding row).
    private Embedding(Tensor weight, int? paddingIdx, double? maxNorm, double normType)
    {
        int numEmbeddings = weight.ShapeArray[0];
        if (paddingIdx is int p && (p >= numEmbeddings || p < -numEmbeddings))
            throw new ArgumentOutOfRangeException(nameof(paddingIdx), paddingIdx, $"Embedding: paddingIdx must be within [-{numEmbeddings}, {numEmbeddings}).");
        if (maxNorm is double m && !(m > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "Embedding: maxNorm must be positive.");
        if (!(normType > 0)) throw new ArgumentOutOfRangeException(nameof(normType), normType, "Embedding: normType must be positive (or +infinity).");
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = weight.ShapeArray[1];
        PaddingIdx = paddingIdx is int q && q < 0 ? q + numEmbeddings : paddingIdx;
        MaxNorm = maxNorm;
        NormType = normType;
        Weight = RegisterParameter("weight", weight)!;
    }

    private static Tensor NewTable(int numEmbeddings, int embeddingDim, DType dtype)
    {
        if (numEmbeddings <= 0) throw new ArgumentOutOfRangeException(nameof(numEmbeddings), numEmbeddings, "Embedding: numEmbeddings must be positive.");
        if (embeddingDim <= 0) throw new ArgumentOutOfRangeException(nameof(embeddingDim), embeddingDim, "Embedding: embeddingDim must be positive.");
        return Tensor.Zeros([numEmbeddings, embeddingDim], dtype);
    }

    /// <summary>
    /// A table holding <paramref name="embeddings"/> [numEmbeddings, embeddingDim] (torch.nn.Embedding.from_pretrained):
    /// the weight shares their memory (detached from any graph) and is not re-initialised, its padding row included.
    /// With <paramref name="freeze"/> the weight does not require grad, so an optimiser leaves it as it is.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="embeddings"/> is not a 2-D floating-point tensor.</exception>
    public static Embedding FromPretrained(Tensor embeddings, bool freeze = true, int? paddingIdx = null, double? maxNorm = null, double normType = 2)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Rank != 2)
            throw new ArgumentException($"Embedding.FromPretrained: embeddings are expected to be 2-D [numEmbeddings, embeddingDim], got {ShapeUtil.Format(embeddings.ShapeArray)}.", nameof(embeddings));
        var embedding = new Embedding(embeddings.Detach(), paddingIdx, maxNorm, normType);
        embedding.Weight.RequiresGrad = !freeze;
        return embedding;
    }

    /// <summary>Number of rows (the vocabulary size).</summary>
    public int NumEmbeddings { get; }

    /// <summary>Size of each vector.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The row that stays zero and takes no gradient, or null.</summary>
    public int? PaddingIdx { get; }

    /// <summary>When set, every looked-up row whose <see cref="NormType"/>-norm exceeds it is rescaled in place to this norm.</summary>
    public double? MaxNorm { get; }

    /// <summary>The p of the norm <see cref="MaxNorm"/> bounds.</summary>
    public double NormType { get; }

    /// <summary>The table [numEmbeddings, embeddingDim].</summary>
    public Tensor Weight { get; }

    /// <inheritdoc/>
    protected override void ResetOwnParameters(Generator generator)
    {
        Init.Normal(Weight, 0, 1, generator);
        if (PaddingIdx is int p)
            using (GradMode.NoGrad()) Weight.Select(0, p).Fill(0);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Tensor.Embedding(input, Weight, PaddingIdx, MaxNorm, NormType);

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        var s = string.Create(CultureInfo.InvariantCulture, $"{NumEmbeddings}, {EmbeddingDim}");
        if (PaddingIdx is int p) s += $", padding_idx={p}";
        if (MaxNorm is double m) s += $", max_norm={BatchNormBase.PyFloat(m)}";
        if (NormType != 2) s += $", norm_type={BatchNormBase.PyFloat(NormType)}";
        return s;
    }
}
