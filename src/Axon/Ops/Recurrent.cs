namespace Axon;

/// <summary>The recurrence a recurrent layer runs: Elman's with tanh or ReLU, the LSTM or the GRU (PyTorch's <c>mode</c>).</summary>
public enum RecurrentMode
{
    /// <summary>h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh).</summary>
    RnnTanh,

    /// <summary>h' = relu(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh).</summary>
    RnnRelu,

    /// <summary>Long short-term memory, gates in PyTorch's order (input, forget, cell, output).</summary>
    Lstm,

    /// <summary>Gated recurrent unit, gates in PyTorch's order (reset, update, new).</summary>
    Gru,
}

/// <summary>
/// The recurrences as ops: one step of a cell, and one direction of one layer over a whole sequence. The sequence op is
/// a fused kernel (<see cref="Layer"/>: one GEMM for the input projections of all steps, one per step for the recurrent
/// part, the gates in one element-wise pass, and back-propagation through time in the same shape); the composite
/// form (<see cref="Composite"/>, built of cells made of tensor ops) is the reference it is tested against and what
/// a second derivative differentiates.
/// </summary>
internal static partial class Recurrent
{
    /// <summary>How many blocks of <c>hidden</c> rows the weights of <paramref name="mode"/> stack (4 for the LSTM, 3 for the GRU).</summary>
    public static int Gates(RecurrentMode mode) => mode switch { RecurrentMode.Lstm => 4, RecurrentMode.Gru => 3, _ => 1 };

    /// <summary>The name PyTorch gives <paramref name="mode"/> (RNN_TANH, RNN_RELU, LSTM, GRU).</summary>
    public static string Name(RecurrentMode mode) => mode switch
    {
        RecurrentMode.RnnTanh => "RNN_TANH",
        RecurrentMode.RnnRelu => "RNN_RELU",
        RecurrentMode.Lstm => "LSTM",
        _ => "GRU",
    };

    /// <summary>
    /// One step of a cell from tensor ops (so it differentiates to any order). Shape: x [B, I], h (and c) [B, H],
    /// wIh [G·H, I], wHh [G·H, H], biases [G·H] or null -> the next h (and c).
    /// </summary>
    public static (Tensor H, Tensor? C) Cell(RecurrentMode mode, Tensor x, Tensor h, Tensor? c, Tensor wIh, Tensor wHh, Tensor? bIh, Tensor? bHh)
    {
        int hidden = wHh.GetShape()[1];
        var gi = Tensor.Linear(x, wIh, bIh);
        var gh = Tensor.Linear(h, wHh, bHh);
        switch (mode)
        {
            case RecurrentMode.RnnTanh: return ((gi + gh).Tanh(), null);
            case RecurrentMode.RnnRelu: return ((gi + gh).Relu(), null);
            case RecurrentMode.Lstm:
                {
                    var g = gi + gh;
                    var i = g.Narrow(1, 0, hidden).Sigmoid();
                    var f = g.Narrow(1, hidden, hidden).Sigmoid();
                    var cell = g.Narrow(1, 2 * hidden, hidden).Tanh();
                    var o = g.Narrow(1, 3 * hidden, hidden).Sigmoid();
                    var c2 = f * c! + i * cell;
                    return (o * c2.Tanh(), c2);
                }
            default:
                {
                    var r = (gi.Narrow(1, 0, hidden) + gh.Narrow(1, 0, hidden)).Sigmoid();
                    var z = (gi.Narrow(1, hidden, hidden) + gh.Narrow(1, hidden, hidden)).Sigmoid();
                    var n = (gi.Narrow(1, 2 * hidden, hidden) + r * gh.Narrow(1, 2 * hidden, hidden)).Tanh();
                    return ((1 - z) * n + z * h, null);
                }
        }
    }

    /// <summary>
    /// One direction of one layer over a sequence, from cells of tensor ops. Shape: x [T, B, I], h0 (and c0) [B, H];
    /// <paramref name="lengths"/> (sorted in decreasing order, each in [1, T]) or null for full length -> output [T, B, H]
    /// (zero at the padded steps) and the final state (each row's state after its last valid step). Reverse runs each
    /// row from its last valid step back to the first.
    /// </summary>
    public static (Tensor Output, Tensor H, Tensor? C) Composite(RecurrentMode mode, Tensor x, Tensor h0, Tensor? c0, Tensor wIh, Tensor wHh, Tensor? bIh, Tensor? bHh, bool reverse, int[]? lengths)
    {
        int steps = x.GetShape()[0], batch = x.GetShape()[1];
        var h = h0;
        var c = c0;
        var outputs = new Tensor[steps];
        for (int s = 0; s < steps; s++)
        {
            int t = reverse ? steps - 1 - s : s;
            var (h2, c2) = Cell(mode, x.Select(0, t), h, c, wIh, wHh, bIh, bHh);
            int active = Active(lengths, t, batch);
            if (active == batch)
            {
                (h, c) = (h2, c2);
                outputs[t] = h2;
                continue;
            }
            // Rows past their length keep their state and output zeros; Where keeps the valid rows bit for bit.
            var mask = ActiveMask(active, batch, x.DType, x.Device);
            h = Tensor.Where(mask, h2, h);
            if (c is not null) c = Tensor.Where(mask, c2!, c);
            outputs[t] = Tensor.Where(mask, h2, Tensor.ZerosLike(h2));
        }
        return (Tensor.Stack(outputs), h, c);
    }

    /// <summary>How many leading rows are still running at step <paramref name="t"/> (lengths sorted in decreasing order).</summary>
    internal static int Active(int[]? lengths, int t, int batch)
    {
        if (lengths is null) return batch;
        int n = 0;
        while (n < batch && lengths[n] > t) n++;
        return n;
    }

    private static Tensor ActiveMask(int active, int batch, DType dtype, Device device)
    {
        var m = new float[batch];
        for (int b = 0; b < active; b++) m[b] = 1;
        return Tensor.FromArray(m, batch, 1).To(dtype).To(device);
    }
}
