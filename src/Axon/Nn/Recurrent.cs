using System.Globalization;

namespace Axon.Nn;

/// <summary>What every multi-layer recurrent layer (<see cref="RNN"/>, <see cref="LSTM"/>, <see cref="GRU"/>) runs, whatever its state type.</summary>
public interface IRecurrentLayer
{
    /// <summary>Size of each input step.</summary>
    int InputSize { get; }

    /// <summary>Size of the hidden state (and of each output step per direction).</summary>
    int HiddenSize { get; }

    /// <summary>
    /// Runs the layer; see <see cref="RNNBase{TState}.Run"/>. c0 and the returned C are the LSTM's cell state (null for
    /// the others).
    /// </summary>
    (Tensor Output, Tensor H, Tensor? C) Run(Tensor input, Tensor? h0 = null, Tensor? c0 = null, IReadOnlyList<int>? lengths = null);
}

/// <summary>The LSTM's state: the hidden state H and the cell state C, each [numLayers·directions, batch, hidden].</summary>
/// <param name="H">Hidden state.</param>
/// <param name="C">Cell state.</param>
public sealed record LstmState(Tensor H, Tensor C)
{
    /// <summary>Both states cut from the graph: truncated back-propagation through time carries them into the next chunk this way.</summary>
    public LstmState Detach() => new(H.Detach(), C.Detach());
}

/// <summary>
/// The multi-layer recurrent layers, as torch.nn.RNNBase: <c>numLayers</c> stacked layers, each optionally
/// bidirectional, dropout between layers in training, the input time-major [T, B, I] or batch-first [B, T, I]
/// (or unbatched [T, I]). Weights with PyTorch's names, layouts and gate order (<c>weight_ih_l0</c> [G·H, I],
/// <c>weight_hh_l0</c> [G·H, H], <c>bias_ih_l0</c>, <c>bias_hh_l0</c>, <c>_reverse</c> for the backward direction; G = 4
/// for the LSTM, 3 for the GRU, 1 for Elman's), all initialised U(−1/√H, 1/√H), so a state dict moves both ways.
/// Each layer direction runs as one fused op (see <see cref="Recurrent"/>).
/// </summary>
/// <typeparam name="TState">The final state returned with the output: a tensor [L·D, B, H] or an <see cref="LstmState"/>.</typeparam>
public abstract class RNNBase<TState> : Module<Tensor, (Tensor Output, TState State)>, IRecurrentLayer
{
    private readonly RecurrentMode mode;
    private readonly Generator? generator;
    private readonly (Tensor WIh, Tensor WHh, Tensor? BIh, Tensor? BHh)[] weights;

    private protected RNNBase(RecurrentMode mode, int inputSize, int hiddenSize, int numLayers, bool bias, bool batchFirst, double dropout, bool bidirectional, DType dtype, Generator? generator)
    {
        string name = GetType().Name;
        if (inputSize <= 0) throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, $"{name}: inputSize must be positive.");
        if (hiddenSize <= 0) throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, $"{name}: hiddenSize must be positive.");
        if (numLayers <= 0) throw new ArgumentOutOfRangeException(nameof(numLayers), numLayers, $"{name}: numLayers must be positive.");
        if (!(dropout >= 0 && dropout <= 1)) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"{name}: dropout must be in [0, 1].");
        if (!dtype.IsFloatingPoint()) throw new ArgumentException($"{name}: dtype must be floating-point, got {dtype.TorchName()}.", nameof(dtype));
        this.mode = mode;
        this.generator = generator;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        Bias = bias;
        BatchFirst = batchFirst;
        Dropout = dropout;
        Bidirectional = bidirectional;
        int gates = Recurrent.Gates(mode) * hiddenSize, directions = bidirectional ? 2 : 1;
        weights = new (Tensor, Tensor, Tensor?, Tensor?)[numLayers * directions];
        for (int layer = 0; layer < numLayers; layer++)
            for (int d = 0; d < directions; d++)
            {
                int inSize = layer == 0 ? inputSize : hiddenSize * directions;
                string suffix = $"_l{layer}" + (d == 1 ? "_reverse" : "");
                weights[layer * directions + d] = (
                    RegisterParameter("weight_ih" + suffix, Tensor.Zeros([gates, inSize], dtype))!,
                    RegisterParameter("weight_hh" + suffix, Tensor.Zeros([gates, hiddenSize], dtype))!,
                    RegisterParameter("bias_ih" + suffix, bias ? Tensor.Zeros([gates], dtype) : null),
                    RegisterParameter("bias_hh" + suffix, bias ? Tensor.Zeros([gates], dtype) : null));
            }
        ResetOwnParameters(generator ?? Generator.Default);
    }

    /// <inheritdoc/>
    public int InputSize { get; }

    /// <inheritdoc/>
    public int HiddenSize { get; }

    /// <summary>Number of stacked layers.</summary>
    public int NumLayers { get; }

    /// <summary>Whether the layers have the biases b_ih and b_hh.</summary>
    public bool Bias { get; }

    /// <summary>Whether input and output are [B, T, F] rather than [T, B, F] (the state stays [L·D, B, H], as in PyTorch).</summary>
    public bool BatchFirst { get; }

    /// <summary>Dropout probability on the outputs of every layer but the last, in training.</summary>
    public double Dropout { get; }

    /// <summary>Whether each layer also runs the sequence backwards (outputs of both directions concatenated).</summary>
    public bool Bidirectional { get; }

    /// <summary>The state's leading size: layers × directions.</summary>
    public int StateLayers => NumLayers * (Bidirectional ? 2 : 1);

    /// <inheritdoc/>
    protected override void ResetOwnParameters(Generator generator)
    {
        double bound = 1 / Math.Sqrt(HiddenSize);
        foreach (var (wIh, wHh, bIh, bHh) in weights)
        {
            Init.Uniform(wIh, -bound, bound, generator);
            Init.Uniform(wHh, -bound, bound, generator);
            if (bIh is not null) Init.Uniform(bIh, -bound, bound, generator);
            if (bHh is not null) Init.Uniform(bHh, -bound, bound, generator);
        }
    }

    /// <summary>Runs the layer from a zero state over full-length sequences.</summary>
    public override (Tensor Output, TState State) Forward(Tensor input) => Forward(input, default, null);

    /// <summary>
    /// Runs the layer from <paramref name="state"/> (zeros when null). <paramref name="lengths"/> gives each batch
    /// element's number of valid steps (any order, each in [1, T]) for a padded batch: the output is zero at the padded
    /// steps, and those steps change neither the state returned nor any gradient.
    /// </summary>
    public abstract (Tensor Output, TState State) Forward(Tensor input, TState? state, IReadOnlyList<int>? lengths = null);

    /// <summary>
    /// Runs the layer. Shape: input [T, B, I] ([B, T, I] when <see cref="BatchFirst"/>, or unbatched [T, I]); h0 and c0
    /// [L·D, B, H] ([L·D, H] unbatched), zeros when null -> output [T, B, D·H] (batch-first likewise) and the final
    /// h (and c) [L·D, B, H], ordered layer by layer, the forward direction before the reverse one.
    /// </summary>
    public (Tensor Output, Tensor H, Tensor? C) Run(Tensor input, Tensor? h0 = null, Tensor? c0 = null, IReadOnlyList<int>? lengths = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        string name = GetType().Name;
        bool lstm = mode == RecurrentMode.Lstm;
        if (input.Rank is not (2 or 3))
            throw new ArgumentException($"{name}: expected input of rank 2 (unbatched [T, I]) or 3 ({(BatchFirst ? "[B, T, I]" : "[T, B, I]")}), got {Format(input.Shape)}.", nameof(input));
        if (input.Shape[^1] != InputSize)
            throw new ArgumentException($"{name}: input.size(-1) must be equal to inputSize. Expected {InputSize}, got {input.Shape[^1]} (input {Format(input.Shape)}).", nameof(input));
        if (input.DType != weights[0].WIh.DType)
            throw new ArgumentException($"{name}: input is {input.DType.TorchName()} but the weights are {weights[0].WIh.DType.TorchName()}.", nameof(input));
        if (!lstm && c0 is not null) throw new ArgumentException($"{name}: only the LSTM takes a cell state c0.", nameof(c0));
        bool unbatched = input.Rank == 2;
        var x = unbatched ? input.Unsqueeze(1) : BatchFirst ? input.Transpose(0, 1) : input;
        int steps = x.Shape[0], batch = x.Shape[1], directions = Bidirectional ? 2 : 1;
        if (steps == 0) throw new ArgumentException($"{name}: the input has no time steps ({Format(input.Shape)}).", nameof(input));
        var hInit = InitialState(h0, "h0", unbatched, batch, input);
        var cInit = lstm ? InitialState(c0, "c0", unbatched, batch, input) : null;

        // A padded batch runs sorted by decreasing length (so the running rows are a prefix), then is put back in order.
        int[]? sorted = null;
        Tensor? order = null, inverse = null;
        if (lengths is not null) (sorted, order, inverse) = SortLengths(lengths, steps, batch, name);
        if (order is not null)
        {
            (order, inverse) = (order.To(x.Device), inverse!.To(x.Device));
            x = x.IndexSelect(1, order);
            hInit = hInit.IndexSelect(1, order);
            cInit = cInit?.IndexSelect(1, order);
        }

        var layerInput = x.Contiguous();
        var hs = new Tensor[StateLayers];
        var cs = lstm ? new Tensor[StateLayers] : null;
        for (int layer = 0; layer < NumLayers; layer++)
        {
            var outs = new Tensor[directions];
            for (int d = 0; d < directions; d++)
            {
                int k = layer * directions + d;
                var (wIh, wHh, bIh, bHh) = weights[k];
                var (o, h, c) = Recurrent.Layer(mode, layerInput, hInit.Select(0, k), cInit?.Select(0, k), wIh, wHh, bIh, bHh, reverse: d == 1, sorted);
                outs[d] = o;
                hs[k] = h;
                if (cs is not null) cs[k] = c!;
            }
            layerInput = directions == 1 ? outs[0] : Tensor.Cat(outs, 2);
            if (Training && Dropout > 0 && layer < NumLayers - 1)
                layerInput = layerInput * (Tensor.Rand(layerInput.GetShape(), generator, layerInput.DType, device: layerInput.Device).Ge(Dropout) * (Dropout < 1 ? 1 / (1 - Dropout) : 0)); // p = 1: zeros, not 0·∞
        }
        var output = layerInput;
        var hN = Tensor.Stack(hs);
        var cN = cs is null ? null : Tensor.Stack(cs);
        if (inverse is not null)
        {
            output = output.IndexSelect(1, inverse);
            hN = hN.IndexSelect(1, inverse);
            cN = cN?.IndexSelect(1, inverse);
        }
        if (unbatched) return (output.Squeeze(1), hN.Squeeze(1), cN?.Squeeze(1));
        return (BatchFirst ? output.Transpose(0, 1) : output, hN, cN);
    }

    private Tensor InitialState(Tensor? state, string what, bool unbatched, int batch, Tensor input)
    {
        int[] expected = unbatched ? [StateLayers, HiddenSize] : [StateLayers, batch, HiddenSize];
        if (state is null) return Tensor.Zeros([StateLayers, batch, HiddenSize], input.DType, input.Device);
        if (!state.Shape.SequenceEqual(expected))
            throw new ArgumentException($"{GetType().Name}: expected {what} of shape {Format(expected)} for input {Format(input.Shape)}, got {Format(state.Shape)}.", what);
        if (state.DType != input.DType)
            throw new ArgumentException($"{GetType().Name}: {what} is {state.DType.TorchName()} but the input is {input.DType.TorchName()}.", what);
        return unbatched ? state.Unsqueeze(1) : state;
    }

    private static (int[] Sorted, Tensor? Order, Tensor? Inverse) SortLengths(IReadOnlyList<int> lengths, int steps, int batch, string name)
    {
        if (lengths.Count != batch) throw new ArgumentException($"{name}: {lengths.Count} lengths for a batch of {batch}.", nameof(lengths));
        for (int b = 0; b < batch; b++)
            if (lengths[b] < 1 || lengths[b] > steps)
                throw new ArgumentException($"{name}: length {lengths[b]} of batch element {b} is outside [1, {steps}] (the input has {steps} steps).", nameof(lengths));
        var perm = Enumerable.Range(0, batch).OrderByDescending(b => lengths[b]).ToArray(); // stable: ties keep their order
        var sorted = perm.Select(b => lengths[b]).ToArray();
        if (perm.Select((p, i) => p == i).All(same => same)) return (sorted, null, null);
        var inv = new long[batch];
        for (int i = 0; i < batch; i++) inv[perm[i]] = i;
        return (sorted, Tensor.FromArray(perm.Select(p => (long)p).ToArray(), batch), Tensor.FromArray(inv, batch));
    }

    private static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        var s = string.Create(CultureInfo.InvariantCulture, $"{InputSize}, {HiddenSize}");
        if (NumLayers != 1) s += $", num_layers={NumLayers}";
        if (!Bias) s += ", bias=False";
        if (BatchFirst) s += ", batch_first=True";
        if (Dropout != 0) s += $", dropout={BatchNormBase.PyFloat(Dropout)}";
        if (Bidirectional) s += ", bidirectional=True";
        return s;
    }
}
