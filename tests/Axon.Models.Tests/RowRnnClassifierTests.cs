using Axon.Nn;

namespace Axon.Models.Tests;

/// <summary>
/// The row-reading recurrent classifiers (<c>gru-rows</c>, <c>lstm-rows</c>). As zoo models they also go through
/// <see cref="ModelZooTests"/> (output shape, overfitting one batch, save then load), the trace, backend-agreement and
/// behaviour-fixture tests.
/// </summary>
public class RowRnnClassifierTests
{
    [Theory]
    [InlineData(RowRnnKind.Gru)]
    [InlineData(RowRnnKind.Lstm)]
    public void MapsImagesToLogitsWithPyTorchKeys(RowRnnKind kind)
    {
        var model = new RowRnnClassifier(kind, hiddenSize: 16, numLayers: 2, generator: new Generator(1));
        Assert.Equal([5, 10], model.Forward(Tensor.Randn([5, 1, 28, 28], new Generator(2))).GetShape());
        Assert.Equal([3, 10], model.Forward(Tensor.Randn([3, 28, 28], new Generator(2))).GetShape());
        int gates = kind == RowRnnKind.Lstm ? 4 : 3;
        var shapes = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.GetShape());
        Assert.Equal([gates * 16, 28], shapes["rnn.weight_ih_l0"]);
        Assert.Equal([gates * 16, 16], shapes["rnn.weight_ih_l1"]);
        Assert.Equal([10, 16], shapes["fc.weight"]);
        Assert.Contains(kind == RowRnnKind.Lstm ? "(rnn): LSTM(28, 16, num_layers=2, batch_first=True)" : "(rnn): GRU(28, 16, num_layers=2, batch_first=True)", model.ToString(), StringComparison.Ordinal);
        var e = Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros([2, 3, 28, 28])));
        Assert.Contains("[N, 1, R, C]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheLogitsReadTheLastHiddenStateOfTheTopLayer()
    {
        var model = new RowRnnClassifier(RowRnnKind.Gru, hiddenSize: 8, numLayers: 2, generator: new Generator(3));
        var x = Tensor.Randn([2, 1, 28, 28], new Generator(4));
        var (output, _, _) = model.Rnn.Run(x.Squeeze(1));   // [N, 28, H], batch-first
        var expected = model.Fc.Forward(output.Select(1, 27));
        Assert.Equal(expected.ToFloatArray(), model.Forward(x).ToFloatArray());
    }
}
