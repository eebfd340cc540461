using System.Globalization;

namespace Axon.Nn;

/// <summary>
/// What the single-step cells share (torch.nn.RNNCellBase): weights <c>weight_ih</c> [G·H, I], <c>weight_hh</c> [G·H, H],
/// <c>bias_ih</c>, <c>bias_hh</c> [G·H] initialised U(−1/√H, 1/√H), and the input checks. A cell takes one step of a
/// batch [B, I] (or one unbatched sample [I]); the caller loops over time and carries the state.
/// </summary>
public abstract class RecurrentCell<TState> : Module<Tensor, TState>
{
    private protected RecurrentCell(RecurrentMode mode, int inputSize, int hiddenSize, bool bias, DType dtype, Generator? generator)
    {
        string name = GetType().Name;
        if (inputSize <= 0) throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, $"{name}: inputSize must be positive.");
        if (hiddenSize <= 0) throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, $"{name}: hiddenSize must be positive.");
        Mode = mode;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        int gates = Recurrent.Gates(mode) * hiddenSize;
        WeightIh = RegisterParameter("weight_ih", Tensor.Zeros([gates, inputSize], dtype))!;
        WeightHh = RegisterParameter("weight_hh", Tensor.Zeros([gates, hiddenSize], dtype))!;
        BiasIh = RegisterParameter("bias_ih", bias ? Tensor.Zeros([gates], dtype) : null);
        BiasHh = RegisterParameter("bias_hh", bias ? Tensor.Zeros([gates], dtype) : null);
        ResetOwnParameters(generator ?? Generator.Default);
    }

    private protected RecurrentMode Mode { get; }

    /// <summary>Size of each input.</summary>
    public int InputSize { get; }

    /// <summary>Size of the hidden state.</summary>
    public int HiddenSize { get; }

    /// <summary>Input-to-hidden weight [G·H, I].</summary>
    public Tensor WeightIh { get; }

    /// <summary>Hidden-to-hidden weight [G·H, H].</summary>
    public Tensor WeightHh { get; }

    /// <summary>Input-to-hidden bias [G·H], or null.</summary>
    public Tensor? BiasIh { get; }

    /// <summary>Hidden-to-hidden bias [G·H], or null.</summary>
    public Tensor? BiasHh { get; }

    /// <inheritdoc/>
    protected override void ResetOwnParameters(Generator generator)
    {
        double bound = 1 / Math.Sqrt(HiddenSize);
        Init.Uniform(WeightIh, -bound, bound, generator);
        Init.Uniform(WeightHh, -bound, bound, generator);
        if (BiasIh is not null) Init.Uniform(BiasIh, -bound, bound, generator);
        if (BiasHh is not null) Init.Uniform(BiasHh, -bound, bound, generator);
    }

    /// <summary>One step from <paramref name="input"/> [B, I] or [I] and the previous h (and c) [B, H] or [H], zeros when null.</summary>
    private protected (Tensor H, Tensor? C) Step(Tensor input, Tensor? h, Tensor? c)
    {
        ArgumentNullException.ThrowIfNull(input);
        string name = GetType().Name;
        if (input.Rank is not (1 or 2))
            throw new ArgumentException($"{name}: expected input of rank 1 (unbatched [I]) or 2 ([B, I]), got {Format(input.Shape)}.", nameof(input));
        if (input.Shape[^1] != InputSize)
            throw new ArgumentException($"{name}: input has inconsistent input_size: got {input.Shape[^1]}, expected {InputSize} (input {Format(input.Shape)}).", nameof(input));
        if (input.DType != WeightIh.DType)
            throw new ArgumentException($"{name}: input is {input.DType.TorchName()} but the weights are {WeightIh.DType.TorchName()}.", nameof(input));
        bool unbatched = input.Rank == 1;
        var x = unbatched ? input.Unsqueeze(0) : input;
        int batch = x.Shape[0];
        var h0 = State(h, "hidden state", unbatched, batch, input);
        var c0 = Mode == RecurrentMode.Lstm ? State(c, "cell state", unbatched, batch, input) : null;
        var (h1, c1) = Recurrent.Cell(Mode, x, h0, c0, WeightIh, WeightHh, BiasIh, BiasHh);
        return unbatched ? (h1.Squeeze(0), c1?.Squeeze(0)) : (h1, c1);
    }

    private Tensor State(Tensor? state, string what, bool unbatched, int batch, Tensor input)
    {
        if (state is null) return Tensor.Zeros([batch, HiddenSize], input.DType, input.Device);
        int[] expected = unbatched ? [HiddenSize] : [batch, HiddenSize];
        if (!state.Shape.SequenceEqual(expected))
            throw new ArgumentException($"{GetType().Name}: expected the {what} of shape {Format(expected)} for input {Format(input.Shape)}, got {Format(state.Shape)}.", nameof(state));
        if (state.DType != input.DType)
            throw new ArgumentException($"{GetType().Name}: the {what} is {state.DType.TorchName()} but the input is {input.DType.TorchName()}.", nameof(state));
        return unbatched ? state.Unsqueeze(0) : state;
    }

    private static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        var s = string.Create(CultureInfo.InvariantCulture, $"{InputSize}, {HiddenSize}");
        if (BiasIh is null) s += ", bias=False";
        if (Mode == RecurrentMode.RnnRelu) s += ", nonlinearity=relu";
        return s;
    }
}

/// <summary>One step of Elman's recurrence (torch.nn.RNNCell): h' = σ(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh). Shape: [B, I] -> [B, H].</summary>
public sealed class RNNCell : RecurrentCell<Tensor>
{
    /// <summary>Creates the cell (arguments as torch.nn.RNNCell).</summary>
    public RNNCell(int inputSize, int hiddenSize, bool bias = true, RnnNonlinearity nonlinearity = RnnNonlinearity.Tanh, DType dtype = DType.Float32, Generator? generator = null)
        : base(nonlinearity == RnnNonlinearity.Relu ? RecurrentMode.RnnRelu : RecurrentMode.RnnTanh, inputSize, hiddenSize, bias, dtype, generator)
    {
    }

    /// <summary>One step from a zero state.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>One step from the hidden state <paramref name="h"/> [B, H] (zeros when null).</summary>
    public Tensor Forward(Tensor input, Tensor? h) => Step(input, h, null).H;
}

/// <summary>One LSTM step (torch.nn.LSTMCell). Shape: input [B, I], state h and c [B, H] -> the next (h, c).</summary>
public sealed class LSTMCell : RecurrentCell<LstmState>
{
    /// <summary>Creates the cell (arguments as torch.nn.LSTMCell).</summary>
    public LSTMCell(int inputSize, int hiddenSize, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
        : base(RecurrentMode.Lstm, inputSize, hiddenSize, bias, dtype, generator)
    {
    }

    /// <summary>One step from a zero state.</summary>
    public override LstmState Forward(Tensor input) => Forward(input, null);

    /// <summary>One step from <paramref name="state"/> (zeros when null).</summary>
    public LstmState Forward(Tensor input, LstmState? state)
    {
        var (h, c) = Step(input, state?.H, state?.C);
        return new LstmState(h, c!);
    }
}

/// <summary>One GRU step (torch.nn.GRUCell). Shape: input [B, I], h [B, H] -> the next h [B, H].</summary>
public sealed class GRUCell : RecurrentCell<Tensor>
{
    /// <summary>Creates the cell (arguments as torch.nn.GRUCell).</summary>
    public GRUCell(int inputSize, int hiddenSize, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
        : base(RecurrentMode.Gru, inputSize, hiddenSize, bias, dtype, generator)
    {
    }

    /// <summary>One step from a zero state.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>One step from the hidden state <paramref name="h"/> [B, H] (zeros when null).</summary>
    public Tensor Forward(Tensor input, Tensor? h) => Step(input, h, null).H;
}
