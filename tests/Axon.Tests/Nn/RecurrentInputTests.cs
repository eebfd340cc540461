using Axon.Nn;

namespace Axon.Tests.Nn;

/// <summary>
/// Bad input to the recurrent layers and cells fails with an error that names the layer and the shapes involved; the
/// reprs are PyTorch's; unbatched input is the batch of one.
/// </summary>
public class RecurrentInputTests
{
    private static ArgumentException Fails(Action run, params string[] mentions)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(run);
        foreach (var m in mentions) Assert.Contains(m, ex.Message, StringComparison.Ordinal);
        return ex;
    }

    [Fact]
    public void WrongInputRankNamesTheLayerAndTheShape()
    {
        var lstm = new LSTM(5, 4, generator: new Generator(1));
        Fails(() => lstm.Forward(Tensor.Zeros([5])), "LSTM", "[5]", "[T, B, I]");
        Fails(() => lstm.Forward(Tensor.Zeros([2, 7, 3, 5])), "LSTM", "[2, 7, 3, 5]");
        Fails(() => new GRU(5, 4, batchFirst: true).Forward(Tensor.Zeros([1, 2, 3, 5])), "GRU", "[1, 2, 3, 5]", "[B, T, I]");
        Fails(() => new RNNCell(5, 4).Forward(Tensor.Zeros([7, 3, 5])), "RNNCell", "[7, 3, 5]");
        Fails(() => new LSTMCell(5, 4).Forward(Tensor.Zeros([7, 3, 5])), "LSTMCell", "[7, 3, 5]");
    }

    [Fact]
    public void WrongFeatureSizeNamesTheLayerAndBothSizes()
    {
        Fails(() => new RNN(5, 4).Forward(Tensor.Zeros([7, 3, 6])), "RNN", "Expected 5, got 6", "[7, 3, 6]");
        Fails(() => new GRU(5, 4).Forward(Tensor.Zeros([7, 6])), "GRU", "Expected 5, got 6", "[7, 6]");
        Fails(() => new GRUCell(5, 4).Forward(Tensor.Zeros([3, 6])), "GRUCell", "got 6, expected 5", "[3, 6]");
        // The second layer's input size (D·H) is the layer's business, never the caller's.
        var deep = new LSTM(5, 4, numLayers: 3, bidirectional: true);
        Assert.Equal([7, 3, 8], deep.Forward(Tensor.Zeros([7, 3, 5])).Output.GetShape());
    }

    [Fact]
    public void WrongDTypeNamesTheLayerAndBothDTypes()
    {
        Fails(() => new LSTM(5, 4).Forward(Tensor.Zeros([7, 3, 5], DType.Float64)), "LSTM", "float64", "float32");
        Fails(() => new GRU(5, 4, dtype: DType.Float64).Forward(Tensor.Zeros([7, 3, 5])), "GRU", "float32", "float64");
        var h0 = Tensor.Zeros([1, 3, 4], DType.Float64);
        Fails(() => new RNN(5, 4).Forward(Tensor.Zeros([7, 3, 5]), h0), "RNN", "h0", "float64", "float32");
        Fails(() => new RNNCell(5, 4).Forward(Tensor.Zeros([3, 5], DType.Float64)), "RNNCell", "float64", "float32");
        Fails(() => new LSTMCell(5, 4).Forward(Tensor.Zeros([3, 5]), new LstmState(Tensor.Zeros([3, 4]), Tensor.Zeros([3, 4], DType.Float64))),
            "LSTMCell", "float64", "float32");
    }

    [Fact]
    public void InitialStateOfTheWrongShapeNamesTheLayerAndBothShapes()
    {
        var x = Tensor.Zeros([7, 3, 5]);
        var lstm = new LSTM(5, 4, numLayers: 2, bidirectional: true);
        Fails(() => lstm.Forward(x, new LstmState(Tensor.Zeros([2, 3, 4]), Tensor.Zeros([4, 3, 4]))), "LSTM", "h0", "[4, 3, 4]", "[2, 3, 4]", "[7, 3, 5]");
        Fails(() => lstm.Forward(x, new LstmState(Tensor.Zeros([4, 3, 4]), Tensor.Zeros([4, 2, 4]))), "LSTM", "c0", "[4, 3, 4]", "[4, 2, 4]");
        Fails(() => lstm.Forward(x, new LstmState(Tensor.Zeros([4, 3, 4]), Tensor.Zeros([4, 3, 5]))), "LSTM", "c0", "[4, 3, 5]");
        // batch-first keeps the state [L·D, B, H], as PyTorch does.
        var gru = new GRU(5, 4, batchFirst: true);
        Fails(() => gru.Forward(Tensor.Zeros([3, 7, 5]), Tensor.Zeros([3, 1, 4])), "GRU", "h0", "[1, 3, 4]", "[3, 1, 4]");
        // Unbatched input takes an unbatched state.
        Fails(() => new RNN(5, 4).Forward(Tensor.Zeros([7, 5]), Tensor.Zeros([1, 1, 4])), "RNN", "h0", "[1, 4]", "[1, 1, 4]");
        Fails(() => new RNN(5, 4).Run(x, null, Tensor.Zeros([1, 3, 4])), "RNN", "c0");
        Fails(() => new GRUCell(5, 4).Forward(Tensor.Zeros([3, 5]), Tensor.Zeros([2, 4])), "GRUCell", "[3, 4]", "[2, 4]");
        Fails(() => new LSTMCell(5, 4).Forward(Tensor.Zeros([3, 5]), new LstmState(Tensor.Zeros([3, 4]), Tensor.Zeros([3, 5]))), "LSTMCell", "cell state", "[3, 4]", "[3, 5]");
        Fails(() => new RNNCell(5, 4).Forward(Tensor.Zeros([5]), Tensor.Zeros([1, 4])), "RNNCell", "[4]", "[1, 4]");
    }

    [Theory]
    [InlineData(new[] { 5, 8, 2 }, "length 8 of batch element 1 is outside [1, 7]")]
    [InlineData(new[] { 5, 0, 2 }, "length 0 of batch element 1 is outside [1, 7]")]
    [InlineData(new[] { 5, 7, -1 }, "length -1 of batch element 2 is outside [1, 7]")]
    [InlineData(new[] { 5, 7 }, "2 lengths for a batch of 3")]
    [InlineData(new[] { 5, 7, 2, 1 }, "4 lengths for a batch of 3")]
    public void BadLengthsNameTheLayerTheElementAndTheSequence(int[] lengths, string message)
    {
        Fails(() => new LSTM(5, 4).Forward(Tensor.Zeros([7, 3, 5]), null, lengths), "LSTM", message);
        Fails(() => new GRU(5, 4, batchFirst: true).Forward(Tensor.Zeros([3, 7, 5]), null, lengths), "GRU", message);
    }

    [Fact]
    public void LayerArgumentsAreChecked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LSTM(0, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GRU(5, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RNN(5, 4, numLayers: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LSTM(5, 4, dropout: 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LSTM(5, 4, dropout: double.NaN));
        Fails(() => _ = new GRU(5, 4, dtype: DType.Int64), "GRU", "int64");
    }

    /// <summary>
    /// dropout = 1 (allowed, as in PyTorch) zeroes the input of every layer after the first in training: the output is
    /// the last layer run on zeros (finite, not 0·∞ = NaN) and no gradient reaches the input through it. Evaluation
    /// ignores dropout.
    /// </summary>
    [Fact]
    public void DropoutOneFeedsZerosToTheNextLayerInTraining()
    {
        var g = new Generator(5);
        var lstm = new LSTM(5, 4, numLayers: 2, dropout: 1, dtype: DType.Float64, generator: g);
        var top = new LSTM(4, 4, dtype: DType.Float64);
        top.LoadStateDict(lstm.StateDict().Where(kv => kv.Key.EndsWith("_l1", StringComparison.Ordinal))
            .Select(kv => new KeyValuePair<string, Tensor>(kv.Key[..^1] + "0", kv.Value)));
        var x = Tensor.Randn([7, 3, 5], g, DType.Float64).RequiresGrad_();
        var (output, _) = lstm.Forward(x);
        Assert.Equal(top.Forward(Tensor.Zeros([7, 3, 4], DType.Float64)).Output.ToDoubleArray(), output.ToDoubleArray());
        output.Sum().Backward();
        Assert.All(x.Grad!.ToDoubleArray(), v => Assert.Equal(0.0, v));
        lstm.Eval();
        Assert.NotEqual(output.ToDoubleArray(), lstm.Forward(x).Output.ToDoubleArray());
    }

    /// <summary>The strings PyTorch 1.13 prints for the same modules (repr(nn.LSTM(10, 20, num_layers=2, ...)) etc.).</summary>
    [Fact]
    public void ReprsArePyTorchs()
    {
        Assert.Equal("LSTM(10, 20, num_layers=2, batch_first=True, bidirectional=True)", new LSTM(10, 20, numLayers: 2, batchFirst: true, bidirectional: true).ToString());
        Assert.Equal("LSTM(10, 20)", new LSTM(10, 20).ToString());
        Assert.Equal("LSTM(5, 4, num_layers=3, bias=False, dropout=0.1)", new LSTM(5, 4, numLayers: 3, bias: false, dropout: 0.1).ToString());
        Assert.Equal("RNN(5, 4, num_layers=2, dropout=0.25, bidirectional=True)", new RNN(5, 4, 2, dropout: 0.25, bidirectional: true).ToString());
        Assert.Equal("GRU(5, 4, num_layers=2, dropout=1.0)", new GRU(5, 4, 2, dropout: 1).ToString());
        Assert.Equal("GRUCell(5, 4)", new GRUCell(5, 4).ToString());
        Assert.Equal("LSTMCell(5, 4, bias=False)", new LSTMCell(5, 4, bias: false).ToString());
        Assert.Equal("RNNCell(5, 4, bias=False, nonlinearity=relu)", new RNNCell(5, 4, bias: false, nonlinearity: RnnNonlinearity.Relu).ToString());
    }

    /// <summary>
    /// Unbatched input [T, I] with state [L·D, H] is the batch of one [T, 1, I]: the same output, state and gradients,
    /// for each layer and direction, time-major or batch-first, padded or not.
    /// </summary>
    [Theory]
    [InlineData("lstm", false, null)]
    [InlineData("lstm", true, 4)]
    [InlineData("gru", false, 4)]
    [InlineData("rnn", true, null)]
    public void UnbatchedInputIsTheBatchOfOne(string kind, bool batchFirst, int? length)
    {
        var g = new Generator(7);
        IRecurrentLayer layer = kind switch
        {
            "lstm" => new LSTM(5, 4, numLayers: 2, batchFirst: batchFirst, bidirectional: true, dtype: DType.Float64, generator: g),
            "gru" => new GRU(5, 4, numLayers: 2, batchFirst: batchFirst, bidirectional: true, dtype: DType.Float64, generator: g),
            _ => new RNN(5, 4, numLayers: 2, batchFirst: batchFirst, bidirectional: true, dtype: DType.Float64, generator: g),
        };
        bool lstm = kind == "lstm";
        var x = Tensor.Randn([7, 5], g, DType.Float64);
        var h0 = Tensor.Randn([4, 4], g, DType.Float64);
        var c0 = Tensor.Randn([4, 4], g, DType.Float64);
        int[]? lengths = length is int n ? [n] : null;

        (Tensor Output, Tensor H, Tensor? C, double[][] Grads) RunOnce(bool unbatched)
        {
            foreach (var p in ((Module)layer).Parameters()) p.Grad = null;
            var xi = (unbatched ? x : x.Unsqueeze(batchFirst ? 0 : 1)).Detach().RequiresGrad_();
            var hi = (unbatched ? h0 : h0.Unsqueeze(1)).Detach().RequiresGrad_();
            var ci = lstm ? (unbatched ? c0 : c0.Unsqueeze(1)).Detach().RequiresGrad_() : null;
            var (o, h, c) = layer.Run(xi, hi, ci, lengths);
            var loss = (o * o).Sum() + (h * h).Sum() * 0.5 + (c is null ? h.Sum() * 0 : c.Sum());
            loss.Backward();
            var grads = new List<double[]> { xi.Grad!.ToDoubleArray(), hi.Grad!.ToDoubleArray() };
            if (ci is not null) grads.Add(ci.Grad!.ToDoubleArray());
            grads.AddRange(((Module)layer).Parameters().Select(p => p.Grad!.ToDoubleArray()));
            return (o, h, c, [.. grads]);
        }

        var one = RunOnce(unbatched: true);
        var batched = RunOnce(unbatched: false);
        Assert.Equal([7, 8], one.Output.GetShape());
        Assert.Equal([4, 4], one.H.GetShape());
        Assert.Equal(batched.Output.Squeeze(batchFirst ? 0 : 1).ToDoubleArray(), one.Output.ToDoubleArray());
        Assert.Equal(batched.H.Squeeze(1).ToDoubleArray(), one.H.ToDoubleArray());
        if (lstm)
        {
            Assert.Equal([4, 4], one.C!.GetShape());
            Assert.Equal(batched.C!.Squeeze(1).ToDoubleArray(), one.C.ToDoubleArray());
        }
        Assert.Equal(batched.Grads.Length, one.Grads.Length);
        for (int i = 0; i < one.Grads.Length; i++) Assert.Equal(batched.Grads[i], one.Grads[i]);
        if (length is int valid)
            Assert.All(one.Output.ToDoubleArray().Skip(valid * 8), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void UnbatchedCellInputIsTheBatchOfOne()
    {
        var g = new Generator(3);
        var cell = new LSTMCell(5, 4, dtype: DType.Float64, generator: g);
        var x = Tensor.Randn([5], g, DType.Float64);
        var state = new LstmState(Tensor.Randn([4], g, DType.Float64), Tensor.Randn([4], g, DType.Float64));
        var one = cell.Forward(x, state);
        var batched = cell.Forward(x.Unsqueeze(0), new LstmState(state.H.Unsqueeze(0), state.C.Unsqueeze(0)));
        Assert.Equal([4], one.H.GetShape());
        Assert.Equal(batched.H.Squeeze(0).ToDoubleArray(), one.H.ToDoubleArray());
        Assert.Equal(batched.C.Squeeze(0).ToDoubleArray(), one.C.ToDoubleArray());
        var gru = new GRUCell(5, 4, dtype: DType.Float64, generator: g);
        Assert.Equal(gru.Forward(x.Unsqueeze(0)).Squeeze(0).ToDoubleArray(), gru.Forward(x).ToDoubleArray());
    }
}
