using System.Globalization;
using Axon.Nn;

namespace Axon.Models.Generative;

/// <summary>
/// A convolutional undercomplete autoencoder for single-channel 28×28 images [N, 1, 28, 28] (MNIST, Fashion-MNIST):
/// <list type="bullet">
/// <item>encoder: Conv2d(1, w, 3, stride 2, padding 1) (14×14) → ReLU → Conv2d(w, 2w, 3, stride 2, padding 1) (7×7) →
/// ReLU → Flatten → Linear(2w · 7 · 7, code), a linear code [N, code];</item>
/// <item>decoder: Linear(code, 2w · 7 · 7) → ReLU → Unflatten to [2w, 7, 7] → ConvTranspose2d(2w, w, 3, stride 2,
/// padding 1, output padding 1) (14×14) → ReLU → ConvTranspose2d(w, 1, 3, stride 2, padding 1, output padding 1) (28×28),
/// the reconstruction's logits [N, 1, 28, 28].</item>
/// </list>
/// The output padding makes each transposed convolution exactly undo its convolution's halving (7 → 14 → 28). Layers
/// keep PyTorch's default initialisation. State-dict keys as PyTorch's nn.Sequential names them: <c>encoder.0.weight</c>,
/// <c>encoder.2.weight</c>, <c>encoder.5.weight</c>, <c>decoder.0.weight</c>, <c>decoder.3.weight</c>,
/// <c>decoder.5.weight</c> and their biases. Trained by <see cref="AutoencoderTask"/> like the MLP one.
/// </summary>
public sealed class ConvAutoencoder : AutoencoderBase
{
    /// <summary>The image height and width the network is built for.</summary>
    public const int ImageSize = 28;

    /// <summary>Creates the network with a code of <paramref name="codeSize"/> units and <paramref name="width"/> channels in the first convolution (2w in the second).</summary>
    public ConvAutoencoder(int codeSize = 32, int width = 16, DType dtype = DType.Float32, Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(codeSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        CodeSize = codeSize;
        Width = width;
        int w2 = 2 * width, flat = w2 * 7 * 7;
        Encoder = RegisterModule("encoder", new Sequential(
            new Conv2d(1, width, 3, stride: 2, padding: 1, dtype: dtype, generator: generator), new ReLU(),
            new Conv2d(width, w2, 3, stride: 2, padding: 1, dtype: dtype, generator: generator), new ReLU(),
            new Flatten(),
            new Linear(flat, codeSize, dtype: dtype, generator: generator)));
        Decoder = RegisterModule("decoder", new Sequential(
            new Linear(codeSize, flat, dtype: dtype, generator: generator), new ReLU(),
            new Unflatten(1, w2, 7, 7),
            new ConvTranspose2d(w2, width, 3, stride: 2, padding: 1, outputPadding: 1, dtype: dtype, generator: generator), new ReLU(),
            new ConvTranspose2d(width, 1, 3, stride: 2, padding: 1, outputPadding: 1, dtype: dtype, generator: generator)));
    }

    /// <summary>The number of code units.</summary>
    public int CodeSize { get; }

    /// <summary>The first convolution's channel count w (the second has 2w).</summary>
    public int Width { get; }

    /// <summary>Images [N, 1, 28, 28] → code [N, code].</summary>
    public Sequential Encoder { get; }

    /// <summary>Code [N, code] → logits [N, 1, 28, 28].</summary>
    public Sequential Decoder { get; }

    /// <summary>The code [N, code] of images [N, 1, 28, 28].</summary>
    public override Tensor Encode(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4 || input.Size(1) != 1 || input.Size(2) != ImageSize || input.Size(3) != ImageSize)
            throw new ArgumentException($"ConvAutoencoder: expects images [N, 1, {ImageSize}, {ImageSize}], got [{string.Join(", ", input.Shape.ToArray())}].", nameof(input));
        return Encoder.Call(input);
    }

    /// <summary>The reconstruction's logits [N, 1, 28, 28] for codes [N, code].</summary>
    public override Tensor Decode(Tensor code)
    {
        ArgumentNullException.ThrowIfNull(code);
        if (code.Rank != 2 || code.Size(1) != CodeSize)
            throw new ArgumentException($"ConvAutoencoder: expects codes [N, {CodeSize}], got [{string.Join(", ", code.Shape.ToArray())}].", nameof(code));
        return Decoder.Call(code);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"code_size={CodeSize}, width={Width}");
}
