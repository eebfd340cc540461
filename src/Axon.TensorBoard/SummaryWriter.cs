using Axon.TensorBoard.Protos;
using Google.Protobuf;

namespace Axon.TensorBoard;

/// <summary>
/// Writes TensorBoard logs, as PyTorch's <c>torch.utils.tensorboard.SummaryWriter</c> does: one event file
/// (<c>events.out.tfevents.SECONDS.HOST.PID.N</c>) in <see cref="LogDir"/> holding scalars, histograms and PNG images, each
/// under a tag at a step. <c>tensorboard --logdir DIR</c> reads the folder as it is, also while training writes it
/// (<see cref="Flush"/> makes what was added visible). Methods may be called from any thread.
/// <code>
/// using var tb = new SummaryWriter("runs/exp1");
/// tb.AddScalar("train/loss", loss, step);
/// tb.AddHistogram("weights/fc.weight", model.GetParameter("fc.weight"), epoch);
/// tb.AddImage("samples", images, epoch);     // [N, C, H, W] in [0, 1]: a grid
/// </code>
/// </summary>
public sealed class SummaryWriter : IDisposable
{
    private static int fileCounter;
    private readonly Lock gate = new();
    private readonly FileStream stream;
    private readonly TimeProvider clock;
    private bool disposed;

    /// <summary>Creates <paramref name="logDir"/> if needed and starts a new event file in it.</summary>
    /// <param name="logDir">The run's folder (TensorBoard shows each folder under its --logdir as a run).</param>
    /// <param name="clock">The source of the events' wall times (default: the system clock).</param>
    public SummaryWriter(string logDir, TimeProvider? clock = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(logDir);
        this.clock = clock ?? TimeProvider.System;
        LogDir = Path.GetFullPath(logDir);
        Directory.CreateDirectory(LogDir);
        long seconds = this.clock.GetUtcNow().ToUnixTimeSeconds();
        string host = string.Concat(Environment.MachineName.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
        FilePath = Path.Combine(LogDir, $"events.out.tfevents.{seconds}.{host}.{Environment.ProcessId}.{Interlocked.Increment(ref fileCounter)}");
        stream = new FileStream(FilePath, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        Write(new Event { FileVersion = "brain.Event:2" }, step: 0);
        Flush();
    }

    /// <summary>The run's folder (a full path).</summary>
    public string LogDir { get; }

    /// <summary>The event file this writer appends to.</summary>
    public string FilePath { get; }

    /// <summary>Logs a scalar (a loss, a metric, a learning rate) under <paramref name="tag"/> at <paramref name="step"/>.</summary>
    public void AddScalar(string tag, double value, long step) =>
        AddValue(new Summary.Types.Value { Tag = CheckTag(tag), SimpleValue = (float)value }, step);

    /// <summary>
    /// Logs the distribution of <paramref name="values"/> (any shape; e.g. a layer's weights or their gradients) as a
    /// histogram of <paramref name="bins"/> equal buckets between the smallest and largest value. NaN and infinite values
    /// are left out, so a diverging run still logs what is finite.
    /// </summary>
    public void AddHistogram(string tag, Tensor values, long step, int bins = 30)
    {
        ArgumentNullException.ThrowIfNull(values);
        AddHistogram(tag, values.ToArray<double>(), step, bins);
    }

    /// <inheritdoc cref="AddHistogram(string, Tensor, long, int)"/>
    public void AddHistogram(string tag, ReadOnlySpan<double> values, long step, int bins = 30) =>
        AddValue(new Summary.Types.Value { Tag = CheckTag(tag), Histo = Histogram.Of(values, bins) }, step);

    /// <summary>
    /// Logs the histograms <c>weights/NAME</c> of every parameter of <paramref name="model"/> (its state-dict name) and
    /// <c>gradients/NAME</c> of those that hold a gradient.
    /// </summary>
    public void AddParameterHistograms(Axon.Nn.Module model, long step, int bins = 30)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var (name, p) in model.NamedParameters())
        {
            AddHistogram("weights/" + name, p, step, bins);
            if (p.Grad is { } g) AddHistogram("gradients/" + name, g, step, bins);
        }
    }

    /// <summary>
    /// Logs an image: <paramref name="image"/> is [channels, height, width] (1 grey, 3 RGB, 4 RGBA) or [height, width],
    /// with values in [0, 1] (clamped), or a batch [n, channels, height, width] laid out as a grid
    /// (<see cref="TensorImages"/>). It is stored as PNG.
    /// </summary>
    /// <exception cref="ArgumentException">The shape is none of these.</exception>
    public void AddImage(string tag, Tensor image, long step)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (pixels, width, height, channels) = TensorImages.ToPixels(image, tag);
        AddValue(new Summary.Types.Value
        {
            Tag = CheckTag(tag),
            Image = new Summary.Types.Image
            {
                Width = width,
                Height = height,
                Colorspace = channels,
                EncodedImageString = ByteString.CopyFrom(PngEncoder.Encode(pixels, width, height, channels)),
            },
        }, step);
    }

    /// <summary>Pushes what was added to the file, where TensorBoard sees it.</summary>
    public void Flush()
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            stream.Flush();
        }
    }

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            stream.Dispose();
        }
    }

    private void AddValue(Summary.Types.Value value, long step) => Write(new Event { Summary = new Summary { Value = { value } } }, step);

    private void Write(Event e, long step)
    {
        e.Step = step;
        e.WallTime = clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
        var bytes = e.ToByteArray();
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            RecordFile.Write(stream, bytes);
        }
    }

    private static string CheckTag(string tag)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tag);
        return tag;
    }
}
