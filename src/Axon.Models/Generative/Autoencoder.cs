using Axon.Nn;

namespace Axon.Models.Generative;

/// <summary>
/// An MLP autoencoder: encoder sizes[0] → … → code (each hidden layer followed by the activation, the code by
/// <see cref="CodeActivation"/>), decoder mirrored back to sizes[0], whose output is logits (for pixels in [0, 1]
/// read through a sigmoid). Undercomplete when the code is smaller than the input; the regularised variants (sparse,
/// denoising, contractive) are the same network trained differently (<see cref="AutoencoderTask"/>).
/// State-dict keys: <c>encoder.0.weight</c>, …, <c>decoder.0.weight</c>, ….
/// </summary>
public sealed class Autoencoder : AutoencoderBase
{
    /// <summary>
    /// Creates the network for sizes [input, hidden…, code]; <paramref name="codeActivation"/> is applied to the code
    /// (sigmoid gives a code in (0, 1), which the KL sparsity penalty needs; null leaves it linear).
    /// </summary>
    public Autoencoder(int[] sizes, Func<Module<Tensor, Tensor>>? activation = null, Func<Module<Tensor, Tensor>>? codeActivation = null,
        DType dtype = DType.Float32, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Length < 2 || sizes.Any(s => s < 1))
            throw new ArgumentException($"Autoencoder: give positive sizes [input, hidden..., code], got [{string.Join(", ", sizes)}].", nameof(sizes));
        Sizes = (int[])sizes.Clone();
        activation ??= () => new ReLU();
        Encoder = RegisterModule("encoder", new Sequential());
        Decoder = RegisterModule("decoder", new Sequential());
        for (int i = 0; i + 1 < sizes.Length; i++)
        {
            Encoder.Append(new Linear(sizes[i], sizes[i + 1], dtype: dtype, generator: generator));
            if (i + 2 < sizes.Length) Encoder.Append(activation());
            else if (codeActivation is not null) Encoder.Append(codeActivation());
        }
        for (int i = sizes.Length - 1; i > 0; i--)
        {
            Decoder.Append(new Linear(sizes[i], sizes[i - 1], dtype: dtype, generator: generator));
            if (i > 1) Decoder.Append(activation());
        }
        CodeActivation = codeActivation is null ? null : Encoder[^1].GetType().Name;
    }

    /// <summary>Layer sizes from the input to the code.</summary>
    public IReadOnlyList<int> Sizes { get; }

    /// <summary>The code's activation's name, or null for a linear code.</summary>
    public string? CodeActivation { get; }

    /// <summary>Input → code.</summary>
    public Sequential Encoder { get; }

    /// <summary>Code → logits of the reconstruction.</summary>
    public Sequential Decoder { get; }

    /// <summary>The code of each input row ([N, ...] flattened to [N, sizes[0]]).</summary>
    public override Tensor Encode(Tensor input) => Encoder.Call(Rows(input));

    /// <summary>The reconstruction's logits for codes [N, code].</summary>
    public override Tensor Decode(Tensor code) => Decoder.Call(code);

    private Tensor Rows(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 2 || input.NumEl / Math.Max(input.Size(0), 1) != Sizes[0])
            throw new ArgumentException($"Autoencoder: each input must hold {Sizes[0]} values, got [{string.Join(", ", input.Shape.ToArray())}].", nameof(input));
        return input.Rank == 2 ? input : input.Reshape(input.Size(0), Sizes[0]);
    }
}
