using System.CommandLine;
using Axon.Data;
using Axon.Models.Training;
using Axon.TensorBoard;

namespace Axon.Cli;

/// <summary>The <c>--tensorboard DIR</c> option of the training commands: a <see cref="TensorBoardCallback"/> on the run's trainer.</summary>
internal static class TensorBoardLogs
{
    /// <summary>A new <c>--tensorboard</c> option.</summary>
    public static Option<string?> CreateOption() =>
        new Option<string?>("--tensorboard")
        {
            Description = "Also write TensorBoard logs to this directory: losses, metrics and learning rate, weight and gradient histograms, sample images (view with: tensorboard --logdir DIR).",
            HelpName = "dir",
        }.Require(v => v is null || v.Trim().Length > 0, "must name a directory");

    /// <summary>
    /// Adds a TensorBoard callback writing to <paramref name="dir"/> to <paramref name="trainer"/> and returns the writer
    /// to dispose when training ends, or null when <paramref name="dir"/> is null.
    /// </summary>
    /// <param name="trainer">The run's trainer.</param>
    /// <param name="dir">The --tensorboard directory, or null.</param>
    /// <param name="samples">A few input images to show (any range: scaled to [0, 1] together), or null.</param>
    /// <param name="epochImages">Images to show after each epoch, [n, channels, height, width] in [0, 1], or null.</param>
    public static SummaryWriter? Attach(Trainer trainer, string? dir, Tensor? samples = null, Func<Trainer, Tensor>? epochImages = null)
    {
        if (dir is null) return null;
        var writer = new SummaryWriter(dir);
        trainer.Callbacks.Add(new TensorBoardCallback(writer) { SampleImages = samples is null ? null : UnitRange(samples), EpochImages = epochImages });
        return writer;
    }

    /// <summary>
    /// For a training loop of its own (not a <see cref="Trainer"/>): the epoch's finite scalars and the histograms of the
    /// model's weights and gradients at step <paramref name="epoch"/>, then a flush. Nothing when <paramref name="writer"/> is null.
    /// </summary>
    public static void LogEpoch(SummaryWriter? writer, long epoch, Axon.Nn.Module model, params (string Tag, double Value)[] scalars)
    {
        if (writer is null) return;
        foreach (var (tag, value) in scalars)
            if (double.IsFinite(value)) writer.AddScalar(tag, value, epoch);
        writer.AddParameterHistograms(model, epoch);
        writer.Flush();
    }

    /// <summary>The first <paramref name="count"/> inputs of <paramref name="data"/> as one batch.</summary>
    public static Tensor FirstInputs(IDataset data, int count = 16)
    {
        return Tensor.Stack([.. Enumerable.Range(0, Math.Min(count, data.Count)).Select(i => data.Get(i).Input)]);
    }

    private static Tensor UnitRange(Tensor x)
    {
        double lo = x.Min().Item(), hi = x.Max().Item();
        return hi > lo ? (x - lo) / (hi - lo) : Tensor.ZerosLike(x);
    }
}
