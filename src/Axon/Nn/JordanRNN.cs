using System.Globalization;

namespace Axon.Nn;

/// <summary>The activation of a <see cref="JordanRNN"/>'s hidden layer, σ_h.</summary>
public enum JordanHiddenActivation
{
    /// <summary>tanh (the default).</summary>
    Tanh,

    /// <summary>The logistic sigmoid 1 / (1 + e^−x).</summary>
    Sigmoid,

    /// <summary>max(0, x).</summary>
    Relu,
}

/// <summary>The activation of a <see cref="JordanRNN"/>'s output layer, σ_y (what is fed back).</summary>
public enum JordanOutputActivation
{
    /// <summary>No activation: y_t = W_y h_t + b_y (the default; pair it with a loss that takes logits or values).</summary>
    Identity,

    /// <summary>The logistic sigmoid, as in the lecture's slide.</summary>
    Sigmoid,

    /// <summary>tanh.</summary>
    Tanh,

    /// <summary>Softmax over the output features (a distribution over classes is fed back).</summary>
    Softmax,
}

/// <summary>
/// Jordan's simple recurrent network (Jordan, 1986; the lecture's "Simple recurrent network (Jordan)"): the previous
/// OUTPUT, not the hidden state, is fed back.
/// <code>
/// h_t = σ_h(W_ih x_t + W_oh y_{t−1} + b_h)
/// y_t = σ_y(W_ho h_t + b_o)
/// </code>
/// Elman's network (<see cref="RNN"/>) feeds back h_{t−1} instead, so its memory is the hidden state; a Jordan network
/// remembers only what its outputs carry. Parameters: <c>weight_ih</c> [H, I] (W_h of the slide), <c>weight_oh</c>
/// [H, O] (U_h: the output fed back), <c>bias_h</c> [H], <c>weight_ho</c> [O, H] (W_y) and <c>bias_o</c> [O]; the hidden
/// layer is initialised as a linear layer of fan-in I + O, U(−1/√(I+O), 1/√(I+O)), the output layer U(−1/√H, 1/√H).
/// Shape: input [T, B, I] ([B, T, I] when batch-first, or unbatched [T, I]), y0 [B, O] ([O] unbatched; zeros when
/// null) -> the outputs y_1..y_T [T, B, O] ([B, T, O] batch-first) and the last output y_T [B, O].
/// </summary>
public sealed class JordanRNN : Module<Tensor, (Tensor Output, Tensor Y)>
{
    /// <summary>Creates the network and initialises it from <paramref name="generator"/> (the default generator when null).</summary>
    public JordanRNN(int inputSize, int hiddenSize, int outputSize, JordanHiddenActivation hiddenActivation = JordanHiddenActivation.Tanh,
        JordanOutputActivation outputActivation = JordanOutputActivation.Identity, bool bias = true, bool batchFirst = false,
        DType dtype = DType.Float32, Generator? generator = null)
    {
        if (inputSize <= 0) throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, "JordanRNN: inputSize must be positive.");
        if (hiddenSize <= 0) throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, "JordanRNN: hiddenSize must be positive.");
        if (outputSize <= 0) throw new ArgumentOutOfRangeException(nameof(outputSize), outputSize, "JordanRNN: outputSize must be positive.");
        if (!Enum.IsDefined(hiddenActivation)) throw new ArgumentOutOfRangeException(nameof(hiddenActivation), hiddenActivation, "JordanRNN: unknown hidden activation.");
        if (!Enum.IsDefined(outputActivation)) throw new ArgumentOutOfRangeException(nameof(outputActivation), outputActivation, "JordanRNN: unknown output activation.");
        if (!dtype.IsFloatingPoint()) throw new ArgumentException($"JordanRNN: dtype must be floating-point, got {dtype.TorchName()}.", nameof(dtype));
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        OutputSize = outputSize;
        HiddenActivation = hiddenActivation;
        OutputActivation = outputActivation;
        BatchFirst = batchFirst;
        WeightIh = RegisterParameter("weight_ih", Tensor.Zeros([hiddenSize, inputSize], dtype))!;
        WeightOh = RegisterParameter("weight_oh", Tensor.Zeros([hiddenSize, outputSize], dtype))!;
        BiasH = RegisterParameter("bias_h", bias ? Tensor.Zeros([hiddenSize], dtype) : null);
        WeightHo = RegisterParameter("weight_ho", Tensor.Zeros([outputSize, hiddenSize], dtype))!;
        BiasO = RegisterParameter("bias_o", bias ? Tensor.Zeros([outputSize], dtype) : null);
        ResetOwnParameters(generator ?? Generator.Default);
    }

    /// <summary>Size of each input step.</summary>
    public int InputSize { get; }

    /// <summary>Size of the hidden layer.</summary>
    public int HiddenSize { get; }

    /// <summary>Size of each output step (and of what is fed back).</summary>
    public int OutputSize { get; }

    /// <summary>σ_h, the hidden layer's activation.</summary>
    public JordanHiddenActivation HiddenActivation { get; }

    /// <summary>σ_y, the output layer's activation.</summary>
    public JordanOutputActivation OutputActivation { get; }

    /// <summary>Whether input and output are [B, T, F] rather than [T, B, F] (y0 and the last output stay [B, O]).</summary>
    public bool BatchFirst { get; }

    /// <summary>Input-to-hidden weight W_h [H, I].</summary>
    public Tensor WeightIh { get; }

    /// <summary>Output-to-hidden weight U_h [H, O]: the feedback of y_{t−1}.</summary>
    public Tensor WeightOh { get; }

    /// <summary>Hidden bias b_h [H], or null.</summary>
    public Tensor? BiasH { get; }

    /// <summary>Hidden-to-output weight W_y [O, H].</summary>
    public Tensor WeightHo { get; }

    /// <summary>Output bias b_y [O], or null.</summary>
    public Tensor? BiasO { get; }

    /// <inheritdoc/>
    protected override void ResetOwnParameters(Generator generator)
    {
        double hidden = 1 / Math.Sqrt(InputSize + OutputSize), output = 1 / Math.Sqrt(HiddenSize);
        Init.Uniform(WeightIh, -hidden, hidden, generator);
        Init.Uniform(WeightOh, -hidden, hidden, generator);
        if (BiasH is not null) Init.Uniform(BiasH, -hidden, hidden, generator);
        Init.Uniform(WeightHo, -output, output, generator);
        if (BiasO is not null) Init.Uniform(BiasO, -output, output, generator);
    }

    /// <summary>Runs the network from y0 = 0.</summary>
    public override (Tensor Output, Tensor Y) Forward(Tensor input) => Forward(input, null);

    /// <summary>Runs the network from the output <paramref name="y0"/> [B, O] ([O] unbatched; zeros when null); see the class for the shapes.</summary>
    public (Tensor Output, Tensor Y) Forward(Tensor input, Tensor? y0)
    {
        var (output, _, y) = Run(input, y0);
        return (output, y);
    }

    /// <summary>
    /// Runs the network and also returns the hidden states h_1..h_T [T, B, H] ([B, T, H] batch-first, [T, H] unbatched),
    /// for inspection: unlike Elman's, they are not the state carried from step to step.
    /// </summary>
    public (Tensor Output, Tensor Hidden, Tensor Y) Run(Tensor input, Tensor? y0 = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank is not (2 or 3))
            throw new ArgumentException($"JordanRNN: expected input of rank 2 (unbatched [T, I]) or 3 ({(BatchFirst ? "[B, T, I]" : "[T, B, I]")}), got {Format(input.Shape)}.", nameof(input));
        if (input.Shape[^1] != InputSize)
            throw new ArgumentException($"JordanRNN: input.size(-1) must be equal to inputSize. Expected {InputSize}, got {input.Shape[^1]} (input {Format(input.Shape)}).", nameof(input));
        if (input.DType != WeightIh.DType)
            throw new ArgumentException($"JordanRNN: input is {input.DType.TorchName()} but the weights are {WeightIh.DType.TorchName()}.", nameof(input));
        bool unbatched = input.Rank == 2;
        var x = unbatched ? input.Unsqueeze(1) : BatchFirst ? input.Transpose(0, 1) : input;
        int steps = x.Shape[0], batch = x.Shape[1];
        if (steps == 0) throw new ArgumentException($"JordanRNN: the input has no time steps ({Format(input.Shape)}).", nameof(input));
        var y = InitialOutput(y0, unbatched, batch, input);

        // The input's share of every step's pre-activation in one GEMM: [T, B, H].
        var projected = Tensor.Linear(x, WeightIh, BiasH);
        var outputs = new Tensor[steps];
        var hiddens = new Tensor[steps];
        for (int t = 0; t < steps; t++)
        {
            var h = Hidden(projected.Select(0, t) + Tensor.Linear(y, WeightOh));
            y = Output(Tensor.Linear(h, WeightHo, BiasO));
            hiddens[t] = h;
            outputs[t] = y;
        }
        var output = Tensor.Stack(outputs);
        var hidden = Tensor.Stack(hiddens);
        if (unbatched) return (output.Squeeze(1), hidden.Squeeze(1), y.Squeeze(0));
        return BatchFirst ? (output.Transpose(0, 1), hidden.Transpose(0, 1), y) : (output, hidden, y);
    }

    private Tensor Hidden(Tensor a) => HiddenActivation switch
    {
        JordanHiddenActivation.Sigmoid => a.Sigmoid(),
        JordanHiddenActivation.Relu => a.Relu(),
        _ => a.Tanh(),
    };

    private Tensor Output(Tensor a) => OutputActivation switch
    {
        JordanOutputActivation.Sigmoid => a.Sigmoid(),
        JordanOutputActivation.Tanh => a.Tanh(),
        JordanOutputActivation.Softmax => a.Softmax(1),
        _ => a,
    };

    private Tensor InitialOutput(Tensor? y0, bool unbatched, int batch, Tensor input)
    {
        if (y0 is null) return Tensor.Zeros([batch, OutputSize], input.DType, input.Device);
        int[] expected = unbatched ? [OutputSize] : [batch, OutputSize];
        if (!y0.Shape.SequenceEqual(expected))
            throw new ArgumentException($"JordanRNN: expected y0 of shape {Format(expected)} for input {Format(input.Shape)}, got {Format(y0.Shape)}.", nameof(y0));
        if (y0.DType != input.DType)
            throw new ArgumentException($"JordanRNN: y0 is {y0.DType.TorchName()} but the input is {input.DType.TorchName()}.", nameof(y0));
        return unbatched ? y0.Unsqueeze(0) : y0;
    }

    private static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    private static string Name(Enum e) => e.ToString().ToLowerInvariant();

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        var s = string.Create(CultureInfo.InvariantCulture, $"{InputSize}, {HiddenSize}, {OutputSize}");
        if (HiddenActivation != JordanHiddenActivation.Tanh) s += $", nonlinearity={Name(HiddenActivation)}";
        if (OutputActivation != JordanOutputActivation.Identity) s += $", output_nonlinearity={Name(OutputActivation)}";
        if (BiasH is null) s += ", bias=False";
        if (BatchFirst) s += ", batch_first=True";
        return s;
    }
}
