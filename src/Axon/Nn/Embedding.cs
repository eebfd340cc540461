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
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIdx = null, double? maxNorm = null, double normType = 2,
        DType dtype = DType.Float32, Generator? generator = null)
    {
        if (numEmbeddings <= 0) throw new ArgumentOutOfRangeException(nameof(numEmbeddings), numEmbeddings, "Embedding: numEmbeddings must be positive.");
        if (embeddingDim <= 0) throw new ArgumentOutOfRangeException(nameof(embeddingDim), embeddingDim, "Embedding: embeddingDim must be positive.");
        if (paddingIdx is int p && (p >= numEmbeddings || p < -numEmbeddings))
            throw new ArgumentOutOfRangeException(nameof(paddingIdx), paddingIdx, $"Embedding: paddingIdx must be within [-{numEmbeddings}, {numEmbeddings}).");
        if (maxNorm is double m && !(m > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "Embedding: maxNorm must be positive.");
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        PaddingIdx = paddingIdx is int q && q < 0 ? q + numEmbeddings : paddingIdx;
        MaxNorm = maxNorm;
        NormType = normType;
        Weight = RegisterParameter("weight", Tensor.Zeros([numEmbeddings, embeddingDim], dtype))!;
        ResetOwnParameters(generator ?? Generator.Default);
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
        if (MaxNorm is double m) s += string.Create(CultureInfo.InvariantCulture, $", max_norm={m}");
        return s;
    }
}
