using Axon.Models;
using Axon.Models.Generative;
using Axon.Nn;
using Axon.Onnx;

namespace Axon.Cli;

/// <summary>What <c>axon export</c> writes for a model: the computation traced, example inputs of the right shapes, and the graph's names.</summary>
/// <param name="Module">The model (its state-dict keys name the initializers).</param>
/// <param name="Forward">The computation exported.</param>
/// <param name="Examples">Example inputs (zeros) the computation is traced on.</param>
/// <param name="Options">Names and the batch axis.</param>
/// <param name="Description">What the graph computes, in one line.</param>
internal sealed record ExportTarget(Module Module, Func<Tensor[], Tensor[]> Forward, Tensor[] Examples, OnnxExportOptions Options, string Description)
{
    /// <summary>Writes the ONNX file.</summary>
    public OnnxExportSummary Save(string path) => OnnxExport.Save(Module, Forward, Examples, path, Options);
}

/// <summary>
/// The computation each kind of model is exported as: a classifier, an autoencoder or the Siamese encoder maps images to
/// one output; a GAN's generator maps codes to images; a VAE maps images to the decoder's logits for the posterior mean
/// (no sampling, so the graph is deterministic) with the mean and log-variance; a character language model maps ids
/// [T, N] and a state to logits and the next state (one step at a time for generation).
/// </summary>
internal static class ExportTargets
{
    /// <summary>
    /// The export of <paramref name="model"/> for a batch of <paramref name="batch"/> (the traced size; the graph's batch
    /// stays open unless <paramref name="staticBatch"/>); <paramref name="example"/> is one image's shape (C, H, W) for
    /// the image models, <paramref name="steps"/> the time steps of a language model's input.
    /// </summary>
    public static ExportTarget For(Module model, int[] example, int batch = 1, int steps = 1, bool staticBatch = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(example);
        var options = new OnnxExportOptions { DynamicBatch = !staticBatch };
        Tensor Images() => Tensor.Zeros([batch, .. example]);
        switch (model)
        {
            case Vae vae:
                return new(vae, x =>
                {
                    var (mean, logVar) = vae.Encode(x[0]);
                    return [vae.Decode(mean), mean, logVar];
                }, [Images()], options with { OutputNames = ["logits", "mean", "log_var"] }, "images to the decoder's logits at the posterior mean, the mean and the log-variance");
            case Gan gan:
                return new(gan, x => [gan.Call(x[0])], [Tensor.Zeros([batch, gan.Latent])], options with { InputNames = ["codes"], OutputNames = ["images"] }, $"codes [N, {gan.Latent}] to the generator's images");
            case InfoGan gan:
                return new(gan, x => [gan.Call(x[0])], [Tensor.Zeros([batch, gan.Latent])], options with { InputNames = ["codes"], OutputNames = ["images"] },
                    $"codes [N, {gan.Latent}] (noise {gan.Noise}, one-hot category {gan.Categories}, continuous {gan.Continuous}) to the generator's images");
            case CharLm lm:
                bool lstm = lm.Cell == CharLmCell.Lstm;
                var ids = Tensor.Zeros([steps, batch], DType.Int64);
                var state = Tensor.Zeros([lm.NumLayers, batch, lm.HiddenSize]);
                return new(lm, x =>
                {
                    var (logits, next) = lm.Forward(x[0], new CharLmState(x[1], lstm ? x[2] : null));
                    return lstm ? [logits, next.H, next.C!] : [logits, next.H];
                }, lstm ? [ids, state, state.Clone()] : [ids, state],
                    options with { BatchAxis = 1, InputNames = lstm ? ["ids", "h0", "c0"] : ["ids", "h0"], OutputNames = lstm ? ["logits", "h", "c"] : ["logits", "h"] },
                    $"character ids [{steps}, N] and the state [{lm.NumLayers}, N, {lm.HiddenSize}] to the logits [{steps}, N, {lm.VocabSize}] and the next state");
            case Module<Tensor, Tensor> net:
                return new(net, x => [net.Call(x[0])], [Images()], options, $"inputs [N, {string.Join(", ", example)}] to outputs");
            default:
                throw new ArgumentException($"axon export: {model.GetType().Name} does not map tensors to tensors in a way the exporter knows.");
        }
    }
}
