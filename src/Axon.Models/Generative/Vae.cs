using Axon.Nn;

namespace Axon.Models.Generative;

/// <summary>What a <see cref="Vae"/> pass gives: the decoder's logits, the encoder's Gaussian and the sampled code.</summary>
/// <param name="Logits">Bernoulli logits of every pixel, [N, inputSize].</param>
/// <param name="Mean">The posterior means, [N, latent].</param>
/// <param name="LogVar">The posterior log-variances, [N, latent].</param>
/// <param name="Z">The code drawn by the reparameterisation z = mean + exp(logVar / 2) · ε, [N, latent].</param>
public sealed record VaeOutput(Tensor Logits, Tensor Mean, Tensor LogVar, Tensor Z);

/// <summary>
/// The variational autoencoder of Kingma and Welling (2014) with MLP encoder and decoder, as PyTorch's example builds
/// it: x → fc1 (ReLU) → fc21 (mean) and fc22 (log-variance) of a diagonal Gaussian q(z|x); z = mean + σ·ε with
/// ε ~ N(0, I) (the reparameterisation trick, so the gradient flows through the draw); z → fc3 (ReLU) → fc4, the
/// logits of a Bernoulli p(x|z) per pixel. Trained by maximising the ELBO = E_q[log p(x|z)] − KL(q(z|x) ‖ N(0, I))
/// (<see cref="NegativeElbo"/>). Images [N, 1, 28, 28] or rows [N, inputSize] in [0, 1].
/// </summary>
public sealed class Vae : Module<Tensor, VaeOutput>
{
    private Generator noise;

    /// <summary>The source of ε (seeded; a <see cref="VaeTask"/> saves it in checkpoints).</summary>
    public Generator Noise
    {
        get => noise;
        set => noise = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// Creates the model; <paramref name="generator"/> initialises the weights, <paramref name="noise"/> draws ε (both
    /// seeded for a reproducible run; a null noise generator is seeded with 0).
    /// </summary>
    public Vae(int inputSize = 784, int hidden = 400, int latent = 20, DType dtype = DType.Float32, Generator? generator = null, Generator? noise = null)
    {
        if (inputSize < 1 || hidden < 1 || latent < 1)
            throw new ArgumentOutOfRangeException(nameof(latent), $"Vae: sizes must be positive (input {inputSize}, hidden {hidden}, latent {latent}).");
        (InputSize, Hidden, Latent) = (inputSize, hidden, latent);
        this.noise = noise ?? new Generator(0);
        Fc1 = RegisterModule("fc1", new Linear(inputSize, hidden, dtype: dtype, generator: generator));
        Fc21 = RegisterModule("fc21", new Linear(hidden, latent, dtype: dtype, generator: generator));
        Fc22 = RegisterModule("fc22", new Linear(hidden, latent, dtype: dtype, generator: generator));
        Fc3 = RegisterModule("fc3", new Linear(latent, hidden, dtype: dtype, generator: generator));
        Fc4 = RegisterModule("fc4", new Linear(hidden, inputSize, dtype: dtype, generator: generator));
    }

    /// <summary>Pixels per image.</summary>
    public int InputSize { get; }

    /// <summary>Hidden units of the encoder and of the decoder.</summary>
    public int Hidden { get; }

    /// <summary>Dimensions of the code z.</summary>
    public int Latent { get; }

    /// <summary>Encoder layers.</summary>
    public Linear Fc1 { get; }

    /// <summary>The mean head.</summary>
    public Linear Fc21 { get; }

    /// <summary>The log-variance head.</summary>
    public Linear Fc22 { get; }

    /// <summary>Decoder layers.</summary>
    public Linear Fc3 { get; }

    /// <summary>The decoder's output layer (logits).</summary>
    public Linear Fc4 { get; }

    /// <summary>The posterior q(z|x): its mean and log-variance.</summary>
    public (Tensor Mean, Tensor LogVar) Encode(Tensor input)
    {
        var h = Fc1.Call(Rows(input, InputSize)).Relu();
        return (Fc21.Call(h), Fc22.Call(h));
    }

    /// <summary>z = mean + exp(logVar / 2) · ε, ε ~ N(0, I) from the model's noise generator.</summary>
    public Tensor Reparameterize(Tensor mean, Tensor logVar)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(logVar);
        var eps = Tensor.Randn(mean.Shape.ToArray(), noise, mean.DType, device: mean.Device);
        return mean + (logVar * 0.5).Exp() * eps;
    }

    /// <summary>The decoder's logits for codes z, [N, inputSize].</summary>
    public Tensor Decode(Tensor z)
    {
        ArgumentNullException.ThrowIfNull(z);
        if (z.Rank != 2 || z.Size(1) != Latent)
            throw new ArgumentException($"Vae.Decode: codes must be [N, {Latent}], got [{string.Join(", ", z.Shape.ToArray())}].", nameof(z));
        return Fc4.Call(Fc3.Call(z).Relu());
    }

    /// <inheritdoc/>
    public override VaeOutput Forward(Tensor input)
    {
        var (mean, logVar) = Encode(input);
        var z = Reparameterize(mean, logVar);
        return new VaeOutput(Decode(z), mean, logVar, z);
    }

    /// <summary>
    /// The loss, −ELBO per image in nats, and its two parts (each per image, not recorded): the reconstruction term
    /// −log p(x|z) (binary cross-entropy summed over pixels) and KL(q(z|x) ‖ N(0, I)) in closed form,
    /// −½ Σ (1 + log σ² − μ² − σ²).
    /// </summary>
    public static (Tensor Loss, double Reconstruction, double Kl) NegativeElbo(VaeOutput output, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(output);
        int n = output.Logits.Size(0);
        var recon = Functional.BinaryCrossEntropyWithLogits(output.Logits, Rows(input, output.Logits.Size(1)), Reduction.Sum) / n;
        var kl = (1.0 + output.LogVar - output.Mean.Square() - output.LogVar.Exp()).Sum() * (-0.5 / n);
        return (recon + kl, recon.Item(), kl.Item());
    }

    /// <summary>Images decoded from n codes drawn from the prior N(0, I): pixel probabilities, [n, inputSize].</summary>
    public Tensor Sample(int n, Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        using var noGrad = GradMode.NoGrad();
        var z = Tensor.Randn([n, Latent], generator, Fc4.Weight.DType, device: Fc4.Weight.Device);
        return Decode(z).Sigmoid();
    }

    /// <summary>The decoded images along the straight line between the posterior means of two images (steps ≥ 2, ends included).</summary>
    public Tensor Interpolate(Tensor a, Tensor b, int steps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 2);
        using var noGrad = GradMode.NoGrad();
        var (ma, _) = Encode(a);
        var (mb, _) = Encode(b);
        if (ma.Size(0) != 1 || mb.Size(0) != 1) throw new ArgumentException("Vae.Interpolate: give one image each.", nameof(a));
        var rows = Enumerable.Range(0, steps).Select(i => ma * (1 - i / (double)(steps - 1)) + mb * (i / (double)(steps - 1))).ToArray();
        return Decode(Tensor.Cat(rows, 0)).Sigmoid();
    }

    /// <summary>
    /// A traversal: the image's posterior mean with one code dimension set to each of <paramref name="values"/> in turn,
    /// decoded, [values, inputSize].
    /// </summary>
    public Tensor Traverse(Tensor image, int dimension, IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (dimension < 0 || dimension >= Latent) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, $"Vae.Traverse: the code has {Latent} dimensions.");
        using var noGrad = GradMode.NoGrad();
        var (mean, _) = Encode(image);
        if (mean.Size(0) != 1) throw new ArgumentException("Vae.Traverse: give one image.", nameof(image));
        var codes = mean.ToArray<float>();
        var all = new float[values.Count * Latent];
        for (int i = 0; i < values.Count; i++)
        {
            codes.CopyTo(all, i * Latent);
            all[i * Latent + dimension] = (float)values[i];
        }
        return Decode(Tensor.FromArray(all, [values.Count, Latent]).To(mean.Device)).Sigmoid();
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"latent={Latent}";

    private static Tensor Rows(Tensor input, int want)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.NumEl % want != 0 || input.Rank < 2 || input.NumEl / input.Size(0) != want)
            throw new ArgumentException($"Vae: each input must hold {want} values (images [N, 1, 28, 28] or rows [N, {want}]), got [{string.Join(", ", input.Shape.ToArray())}].", nameof(input));
        return input.Reshape(input.Size(0), want);
    }
}
