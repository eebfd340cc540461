using System.Diagnostics;
using Axon.Nn;
using Axon.Optim;

namespace Axon.Models;

/// <summary>
/// The delayed-recall task, a long-range dependency: a sequence of <c>length</c> steps whose first step carries a
/// symbol to remember (one of <c>symbols</c>, one-hot) with a marker bit set, followed by <c>length − 1</c> random
/// distractor symbols of the same alphabet (marker clear); the label is the first symbol, to be told after the last
/// step. Chance is 1 / symbols; a network must keep the symbol across all the steps and ignore what follows.
/// </summary>
public static class DelayedRecall
{
    /// <summary>
    /// A batch: x [length, batch, symbols + 1] (time-major; channel <c>symbols</c> is the marker, set at step 0 only)
    /// and y [batch] (int64), the symbol of step 0. Deterministic for a given generator state.
    /// </summary>
    public static (Tensor X, Tensor Y) Generate(int length, int batch, int symbols, Generator generator, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "DelayedRecall: length must be at least 1.");
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "DelayedRecall: batch must be at least 1.");
        if (symbols < 2) throw new ArgumentOutOfRangeException(nameof(symbols), symbols, "DelayedRecall: symbols must be at least 2.");
        var drawn = Tensor.Randint(0, symbols, [length, batch], generator).ToLongArray();
        int features = symbols + 1;
        var x = new float[length * batch * features];
        var y = new long[batch];
        for (int t = 0; t < length; t++)
            for (int b = 0; b < batch; b++)
            {
                int at = (t * batch + b) * features;
                x[at + (int)drawn[t * batch + b]] = 1;
                if (t == 0)
                {
                    x[at + symbols] = 1;
                    y[b] = drawn[b];
                }
            }
        var xs = Tensor.FromArray(x, length, batch, features);
        var ys = Tensor.FromArray(y, batch);
        return device is null ? (xs, ys) : (xs.To(device), ys.To(device));
    }
}

/// <summary>The recurrent networks the memory experiment compares.</summary>
public enum MemoryModelKind
{
    /// <summary>Elman's network (<see cref="RNN"/>, tanh): the hidden state fed back; a linear readout of the last one.</summary>
    Elman,

    /// <summary>Jordan's network (<see cref="JordanRNN"/>, tanh hidden, identity output): the previous output (the logits) fed back.</summary>
    Jordan,

    /// <summary>An <see cref="LSTM"/> with a linear readout of the last hidden state.</summary>
    Lstm,

    /// <summary>A <see cref="GRU"/> with a linear readout of the last hidden state.</summary>
    Gru,
}

/// <summary>
/// A sequence classifier for the memory experiment: [T, B, I] (time-major) -> logits [B, classes] after the last step,
/// from one of the <see cref="MemoryModelKind"/> networks.
/// </summary>
public sealed class SequenceClassifier : Module<Tensor, Tensor>
{
    private readonly Module core;
    private readonly Linear? readout;

    /// <summary>
    /// Creates the network and initialises it from <paramref name="generator"/> (PyTorch's initialisations). A non-null
    /// <paramref name="lstmForgetBias"/> sets the LSTM's forget-gate bias (b_if + b_hf) to that value, the usual recipe
    /// of 1 (Gers et al., 2000; Jozefowicz et al., 2015) so that the cell starts out remembering.
    /// </summary>
    public SequenceClassifier(MemoryModelKind kind, int inputSize, int hiddenSize, int classes, Generator? generator = null, double? lstmForgetBias = null)
    {
        Kind = kind;
        core = kind switch
        {
            MemoryModelKind.Elman => RegisterModule<Module>("rnn", new RNN(inputSize, hiddenSize, generator: generator)),
            MemoryModelKind.Jordan => RegisterModule<Module>("rnn", new JordanRNN(inputSize, hiddenSize, classes, generator: generator)),
            MemoryModelKind.Lstm => RegisterModule<Module>("rnn", new LSTM(inputSize, hiddenSize, generator: generator)),
            MemoryModelKind.Gru => RegisterModule<Module>("rnn", new GRU(inputSize, hiddenSize, generator: generator)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "SequenceClassifier: unknown model."),
        };
        if (kind != MemoryModelKind.Jordan) readout = RegisterModule("fc", new Linear(hiddenSize, classes, generator: generator));
        if (kind == MemoryModelKind.Lstm && lstmForgetBias is { } forget)
        {
            // Gates in PyTorch's order (input, forget, cell, output): the forget gate is the second block of H rows.
            var biases = core.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
            biases["bias_ih_l0"].Narrow(0, hiddenSize, hiddenSize).Fill(forget);
            biases["bias_hh_l0"].Narrow(0, hiddenSize, hiddenSize).Fill(0);
        }
    }

    /// <summary>Which network.</summary>
    public MemoryModelKind Kind { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => core switch
    {
        JordanRNN jordan => jordan.Call(input).Y,
        LSTM lstm => readout!.Call(lstm.Call(input).State.H.Select(0, 0)),
        RNN rnn => readout!.Call(rnn.Call(input).State.Select(0, 0)),
        GRU gru => readout!.Call(gru.Call(input).State.Select(0, 0)),
        _ => throw new InvalidOperationException("SequenceClassifier: unexpected core."),
    };
}

/// <summary>The settings of <see cref="RnnMemoryExperiment"/>.</summary>
/// <param name="Hidden">Hidden units of every network.</param>
/// <param name="Steps">Adam steps per (model, length), each on a fresh batch.</param>
/// <param name="Batch">Sequences per step.</param>
/// <param name="LearningRate">Adam's rate.</param>
/// <param name="Symbols">Alphabet size (chance = 1 / symbols).</param>
/// <param name="ClipNorm">Gradient-norm clipping (0 = none): keeps an exploding Elman run from ending in NaN.</param>
/// <param name="EvalSize">Held-out sequences the accuracy and the gradient ratio are measured on.</param>
/// <param name="Seed">Seed of the weights and the data; every (model, length) pair starts from it.</param>
/// <param name="LstmForgetBias">The LSTM's initial forget-gate bias; null keeps PyTorch's initialisation (U(−1/√H, 1/√H) like the other biases).</param>
public sealed record RnnMemoryOptions(int Hidden = 32, int Steps = 3000, int Batch = 32, double LearningRate = 0.003, int Symbols = 4, double ClipNorm = 1.0, int EvalSize = 500, long Seed = 0, double? LstmForgetBias = 1.0);

/// <summary>One (model, length) cell of the experiment.</summary>
/// <param name="Model">The network.</param>
/// <param name="Length">Sequence length T.</param>
/// <param name="Accuracy">Held-out accuracy after training.</param>
/// <param name="FinalLoss">Mean training loss over the last tenth of the steps.</param>
/// <param name="GradRatioInit">‖∂L/∂x_1‖ / ‖∂L/∂x_T‖ on the held-out batch before training.</param>
/// <param name="GradRatioTrained">The same after training.</param>
/// <param name="Seconds">Wall time of the cell.</param>
public sealed record RnnMemoryResult(MemoryModelKind Model, int Length, double Accuracy, double FinalLoss, double GradRatioInit, double GradRatioTrained, double Seconds);

/// <summary>
/// The vanishing-gradient experiment of the recurrent-networks lecture: Elman, Jordan, LSTM and GRU networks trained on
/// <see cref="DelayedRecall"/> for growing lengths T with the same small budget, reporting the held-out accuracy and how
/// much of the loss's gradient reaches the first input compared with the last, ‖∂L/∂x_1‖ / ‖∂L/∂x_T‖. A ratio that
/// falls geometrically with T is the vanishing gradient: the first step, the only one that matters, gets no signal.
/// </summary>
public static class RnnMemoryExperiment
{
    /// <summary>
    /// Trains and measures every model at every length, in order (models within a length). <paramref name="onResult"/>
    /// sees each cell as it completes; <paramref name="onStep"/> sees (model, length, step, loss) during training.
    /// </summary>
    public static IReadOnlyList<RnnMemoryResult> Run(IReadOnlyList<int> lengths, IReadOnlyList<MemoryModelKind> models, RnnMemoryOptions options,
        Device? device = null, Action<RnnMemoryResult>? onResult = null, Action<MemoryModelKind, int, int, double>? onStep = null)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(options);
        if (lengths.Count == 0 || lengths.Any(t => t < 2)) throw new ArgumentException("RnnMemoryExperiment: give at least one length, each at least 2.", nameof(lengths));
        if (models.Count == 0) throw new ArgumentException("RnnMemoryExperiment: give at least one model.", nameof(models));
        if (options.Hidden < 1 || options.Steps < 1 || options.Batch < 1 || options.EvalSize < 1 || options.Symbols < 2 || !(options.LearningRate > 0) || !(options.ClipNorm >= 0))
            throw new ArgumentException("RnnMemoryExperiment: hidden, steps, batch and eval size must be at least 1, symbols at least 2, the rate positive and the clipping non-negative.", nameof(options));
        var results = new List<RnnMemoryResult>();
        foreach (int length in lengths)
            foreach (var kind in models)
            {
                var r = RunOne(kind, length, options, device ?? Device.Cpu, onStep);
                results.Add(r);
                onResult?.Invoke(r);
            }
        return results;
    }

    /// <summary>Trains one model at one length and measures it.</summary>
    public static RnnMemoryResult RunOne(MemoryModelKind kind, int length, RnnMemoryOptions options, Device device, Action<MemoryModelKind, int, int, double>? onStep = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        int features = options.Symbols + 1;
        var model = new SequenceClassifier(kind, features, options.Hidden, options.Symbols, new Generator(options.Seed), options.LstmForgetBias).To(device);
        // The same training batches for every model at this length, and a held-out batch from another stream.
        var data = new Generator(options.Seed * 1_000_003 + length);
        var (evalX, evalY) = DelayedRecall.Generate(length, options.EvalSize, options.Symbols, new Generator(options.Seed * 1_000_003 + length + 500_009), device);
        double ratioInit = GradientRatio(model, evalX, evalY);

        var optimizer = new Adam(model.Parameters(), lr: options.LearningRate);
        int tail = Math.Max(1, options.Steps / 10);
        double tailLoss = 0;
        for (int step = 0; step < options.Steps; step++)
        {
            using var scope = new TensorScope();
            var (x, y) = DelayedRecall.Generate(length, options.Batch, options.Symbols, data, device);
            optimizer.ZeroGrad();
            var loss = Functional.CrossEntropy(model.Forward(x), y);
            loss.Backward();
            if (options.ClipNorm > 0) Utils.ClipGradNorm(model.Parameters(), options.ClipNorm);
            optimizer.Step();
            double l = loss.Item();
            if (step >= options.Steps - tail) tailLoss += l / tail;
            onStep?.Invoke(kind, length, step, l);
        }

        double accuracy;
        using (GradMode.NoGrad()) accuracy = Functional.Accuracy(model.Forward(evalX), evalY);
        double ratioTrained = GradientRatio(model, evalX, evalY);
        return new RnnMemoryResult(kind, length, accuracy, tailLoss, ratioInit, ratioTrained, clock.Elapsed.TotalSeconds);
    }

    /// <summary>‖∂L/∂x_1‖ / ‖∂L/∂x_T‖ for the mean cross-entropy L of the batch (x [T, B, I]; norms over the batch and features).</summary>
    public static double GradientRatio(Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        using var scope = new TensorScope();
        var leaf = x.Detach().Clone().RequiresGrad_();
        var grad = Autograd.Grad(Functional.CrossEntropy(model.Forward(leaf), y), leaf);
        int steps = x.Shape[0];
        double first = Norm(grad.Select(0, 0)), last = Norm(grad.Select(0, steps - 1));
        return last == 0 ? double.NaN : first / last;
    }

    private static double Norm(Tensor t) => Math.Sqrt((t * t).Sum().Item());
}
