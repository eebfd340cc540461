namespace Axon.Nn;

/// <summary>Elman's recurrence h' = σ(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) with σ tanh or ReLU (torch.nn.RNN's <c>nonlinearity</c>).</summary>
public enum RnnNonlinearity
{
    /// <summary>tanh (the default).</summary>
    Tanh,

    /// <summary>max(0, x).</summary>
    Relu,
}

/// <summary>
/// Elman's simple recurrent network (torch.nn.RNN): h_t = σ(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh), the hidden state fed
/// back. Shape: input [T, B, I] ([B, T, I] batch-first) -> output [T, B, D·H] and the final state h [L·D, B, H]; see
/// <see cref="RNNBase{TState}"/>.
/// </summary>
public sealed class RNN : RNNBase<Tensor>
{
    /// <summary>Creates the layer (arguments as torch.nn.RNN) and initialises it from <paramref name="generator"/>, which also draws the dropout masks.</summary>
    public RNN(int inputSize, int hiddenSize, int numLayers = 1, RnnNonlinearity nonlinearity = RnnNonlinearity.Tanh, bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false, DType dtype = DType.Float32, Generator? generator = null)
        : base(nonlinearity == RnnNonlinearity.Relu ? RecurrentMode.RnnRelu : RecurrentMode.RnnTanh, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, dtype, generator)
        => Nonlinearity = nonlinearity;

    /// <summary>The activation of the recurrence.</summary>
    public RnnNonlinearity Nonlinearity { get; }

    /// <inheritdoc/>
    public override (Tensor Output, Tensor State) Forward(Tensor input, Tensor? state, IReadOnlyList<int>? lengths = null)
    {
        var (output, h, _) = Run(input, state, null, lengths);
        return (output, h);
    }
}

/// <summary>
/// Long short-term memory (torch.nn.LSTM): gates i, f, g, o = σ, σ, tanh, σ of x W_ihᵀ + b_ih + h W_hhᵀ + b_hh, the cell
/// c' = f c + i g and h' = o tanh(c'). Shape: input [T, B, I] -> output [T, B, D·H] and the final
/// <see cref="LstmState"/> (h and c [L·D, B, H]); see <see cref="RNNBase{TState}"/>.
/// </summary>
public sealed class LSTM : RNNBase<LstmState>
{
    /// <summary>Creates the layer (arguments as torch.nn.LSTM, without projections) and initialises it from <paramref name="generator"/>.</summary>
    public LSTM(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, double dropout = 0, bool bidirectional = false,
        DType dtype = DType.Float32, Generator? generator = null)
        : base(RecurrentMode.Lstm, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, dtype, generator)
    {
    }

    /// <inheritdoc/>
    public override (Tensor Output, LstmState State) Forward(Tensor input, LstmState? state, IReadOnlyList<int>? lengths = null)
    {
        var (output, h, c) = Run(input, state?.H, state?.C, lengths);
        return (output, new LstmState(h, c!));
    }
}

/// <summary>
/// Gated recurrent unit (torch.nn.GRU): r, z = σ(x W_ir + b_ir + h W_hr + b_hr), σ(...), n = tanh(x W_in + b_in + r (h W_hn
/// + b_hn)), h' = (1 − z) n + z h. Shape: input [T, B, I] -> output [T, B, D·H] and the final h [L·D, B, H]; see
/// <see cref="RNNBase{TState}"/>.
/// </summary>
public sealed class GRU : RNNBase<Tensor>
{
    /// <summary>Creates the layer (arguments as torch.nn.GRU) and initialises it from <paramref name="generator"/>.</summary>
    public GRU(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, double dropout = 0, bool bidirectional = false,
        DType dtype = DType.Float32, Generator? generator = null)
        : base(RecurrentMode.Gru, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, dtype, generator)
    {
    }

    /// <inheritdoc/>
    public override (Tensor Output, Tensor State) Forward(Tensor input, Tensor? state, IReadOnlyList<int>? lengths = null)
    {
        var (output, h, _) = Run(input, state, null, lengths);
        return (output, h);
    }
}
