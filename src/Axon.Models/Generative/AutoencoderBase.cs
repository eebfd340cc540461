using Axon.Nn;

namespace Axon.Models.Generative;

/// <summary>
/// An autoencoder whatever its layers: <see cref="Encode"/> maps an input batch to a code [N, ...],
/// <see cref="Decode"/> maps the code back to the reconstruction's logits (for pixels in [0, 1] read through a sigmoid),
/// and the contractive penalty is defined once here on the code flattened to [N, code size], so every architecture
/// (<see cref="Autoencoder"/>, <see cref="ConvAutoencoder"/>) trains under <see cref="AutoencoderTask"/> alike.
/// </summary>
public abstract class AutoencoderBase : Module<Tensor, Tensor>
{
    /// <summary>The code of each input, [N, ...].</summary>
    public abstract Tensor Encode(Tensor input);

    /// <summary>The reconstruction's logits for codes as <see cref="Encode"/> gives them.</summary>
    public abstract Tensor Decode(Tensor code);

    /// <summary>The reconstruction's logits, Decode(Encode(input)).</summary>
    public override Tensor Forward(Tensor input) => Decode(Encode(input));

    /// <summary>
    /// The contractive penalty Σ_n Σ_i ‖∂h_i(x_n)/∂x_n‖², the squared Frobenius norm of the encoder's Jacobian summed over
    /// the batch (Rifai et al. 2011), h the code flattened to [N, code size]; differentiable: one gradient of Σ_n h_i(x_n)
    /// per code unit, with createGraph, so training can descend it (second derivatives). Samples must not interact in the
    /// encoder (no batch statistics), or Σ_n h_i(x_n) mixes the samples' Jacobians.
    /// </summary>
    public Tensor ContractivePenalty(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        // Evaluation runs without recording, but the penalty is made of derivatives: take them anyway and return the value only.
        bool recording = GradMode.IsEnabled;
        using var enable = GradMode.EnableGrad();
        var x = input.Detach().RequiresGrad_();
        var h = Encode(x);
        h = h.Reshape(h.Size(0), -1);
        Tensor? total = null;
        for (int i = 0; i < h.Size(1); i++)
        {
            var gi = Autograd.Grad(h.Select(1, i).Sum(), x, retainGraph: true, createGraph: recording);
            var sq = gi.Square().Sum();
            total = total is null ? sq : total + sq;
        }
        if (total is null) throw new InvalidOperationException($"{GetType().Name}.ContractivePenalty: the code of [{string.Join(", ", input.Shape.ToArray())}] has no units.");
        return recording ? total : total.Detach();
    }
}
