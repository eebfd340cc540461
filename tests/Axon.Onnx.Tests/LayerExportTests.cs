using Axon.Nn;
using Onnx;

namespace Axon.Onnx.Tests;

/// <summary>
/// Each layer family exported on its own, in the forms the zoo does not reach (groups, dilation, output padding, ceil
/// mode, bidirectional and Elman recurrences, 3-D linear inputs...), run by ONNX Runtime at a batch size other than the
/// traced one, and compared with Axon within 1e-5.
/// </summary>
public class LayerExportTests
{
    private static readonly Generator G = new(21);

    /// <summary>Exports, runs both at <paramref name="test"/>, compares every output; returns the model for further checks.</summary>
    internal static ModelProto Check(Module module, Func<Tensor[], Tensor[]> forward, Tensor[] example, Tensor[] test, OnnxExportOptions? options = null, double atol = 1e-5)
    {
        var bytes = OnnxExport.ToBytes(module, forward, example, options);
        Tensor[] expected;
        bool training = module.Training;
        module.Eval();
        using (GradMode.NoGrad()) expected = forward(test);
        module.Train(training);
        var actual = OrtRunner.Run(bytes, test);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) OrtRunner.AssertClose(expected[i], actual[i], atol, what: $"output {i}");
        return ModelProto.Parser.ParseFrom(bytes);
    }

    private static ModelProto Check(Module<Tensor, Tensor> module, int[] example, int testBatch = 3)
    {
        int[] test = [testBatch, .. example[1..]];
        return Check(module, x => [module.Call(x[0])], [Tensor.Randn(example, G)], [Tensor.Randn(test, G)]);
    }

    private static string[] Ops(ModelProto m) => m.Graph.Node.Select(n => n.OpType).ToArray();

    [Fact]
    public void LinearOnMatricesIsGemmAndOnSequencesMatMul()
    {
        Assert.Contains("Gemm", Ops(Check(new Linear(6, 4, generator: G), [2, 6])));
        Assert.Contains("MatMul", Ops(Check(new Linear(6, 4, generator: G), [2, 3, 6])));
        Assert.Contains("MatMul", Ops(Check(new Linear(6, 4, bias: false, generator: G), [2, 3, 6])));
    }

    [Fact]
    public void ConvolutionsWithStridePaddingDilationGroupsAndPaddingModes()
    {
        Check(new Sequential(new Conv2d(4, 6, 3, stride: 2, padding: 2, dilation: 2, groups: 2, generator: G), new Conv2d(6, 3, (1, 3), stride: (1, 2), padding: (0, 1), bias: false, generator: G)), [2, 4, 11, 9]);
        Check(new Conv2d(3, 4, 3, padding: 1, paddingMode: "reflect", generator: G), [2, 3, 8, 8]);
        Check(new Conv2d(3, 4, 3, "same", generator: G), [2, 3, 7, 6]);
    }

    [Fact]
    public void TransposedConvolutionsWithOutputPaddingGroupsAndDilation()
    {
        var m = Check(new ConvTranspose2d(4, 3, 3, stride: 2, padding: 1, outputPadding: 1, generator: G), [2, 4, 5, 5]);
        Assert.Contains("ConvTranspose", Ops(m));
        Check(new ConvTranspose2d(4, 6, (3, 2), stride: (2, 3), padding: (1, 0), outputPadding: (0, 2), groups: 2, dilation: 1, generator: G), [2, 4, 4, 5]);
        Check(new ConvTranspose2d(2, 2, 3, stride: 2, dilation: 2, outputPadding: 1, bias: false, generator: G), [2, 2, 4, 4]);
    }

    [Fact]
    public void PoolingMaxAverageAndAdaptive()
    {
        Check(new MaxPool2d(3, stride: 2, padding: 1, dilation: 1), [2, 3, 9, 9]);
        Check(new MaxPool2d((2, 3), stride: (2, 1), dilation: (2, 1)), [2, 3, 9, 8]);
        Check(new MaxPool2d(3, stride: 2, ceilMode: true), [2, 3, 10, 10]);
        Check(new AvgPool2d(3, stride: 2, padding: 1, countIncludePad: false), [2, 3, 9, 9]);
        Check(new AvgPool2d(2), [2, 3, 9, 8]);
        Assert.Contains("GlobalAveragePool", Ops(Check(new AdaptiveAvgPool2d(1), [2, 3, 7, 5])));
        Assert.Contains("AveragePool", Ops(Check(new AdaptiveAvgPool2d((2, 4)), [2, 3, 6, 8])));
        Assert.Contains("ReduceMean", Ops(Check(new AdaptiveAvgPool2d((3, 4)), [2, 3, 7, 10])));
        Check(new AdaptiveMaxPool2d((3, 2)), [2, 3, 9, 6]);
    }

    [Fact]
    public void AConvolutionWithReluAndMaxPoolingRunsFusedAndExportsAsThreeNodes()
    {
        // Sequential runs these as the one op Conv2dReluMaxPool2d; ONNX gets Conv, Relu and MaxPool (and the output's Identity).
        Assert.Equal(["Conv", "Relu", "MaxPool", "Identity"], Ops(Check(new Sequential(new Conv2d(3, 5, 3, padding: 1, generator: G), new ReLU(), new MaxPool2d(2)), [2, 3, 9, 8])));
        Check(new Sequential(new Conv2d(2, 4, 5, padding: 2, generator: G), new ReLU(), new MaxPool2d(3, stride: 2, ceilMode: true)), [2, 2, 12, 11]);
        Check(new Sequential(new Conv2d(3, 4, 3, stride: 2, generator: G), new ReLU(), new MaxPool2d(2)), [2, 3, 13, 13]);
    }

    [Fact]
    public void BatchNormInEvaluationModeWithAndWithoutAffineParameters()
    {
        var bn1 = new Sequential(new Linear(5, 8, generator: G), new BatchNorm1d(8), new ReLU());
        OrtRunner.PerturbBatchNorms(bn1, G);
        Assert.Contains("BatchNormalization", Ops(Check(bn1, [4, 5])));
        var bn2 = new Sequential(new BatchNorm2d(3, eps: 1e-3, affine: false), new BatchNorm2d(3));
        OrtRunner.PerturbBatchNorms(bn2, G);
        Check(bn2, [2, 3, 4, 5]);
    }

    [Fact]
    public void Activations()
    {
        Check(new Sequential(new LeakyReLU(0.1), new ELU(0.7), new Softplus(2, 3), new Tanh(), new PReLU(4), new Sigmoid(), new Softmax(1)), [3, 4, 5]);
        Check(new Sequential(new ReLU(), new Softplus(), new LogSoftmax(-1)), [3, 7]);
        Check(new Sequential(new Sign(), new Step()), [3, 7]);
    }

    [Fact]
    public void FlattenUnflattenAndReshapesFollowTheBatch()
    {
        var m = Check(new Sequential(new Flatten(), new Unflatten(1, 3, -1), new Flatten(0, 1)), [2, 3, 4, 2], testBatch: 5);
        // Flatten(0, 1) merges the batch with 3: the graph asks Reshape to infer that dimension rather than fixing it.
        Assert.Contains("Reshape", Ops(m));
        Assert.Equal("batch", m.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal("batch*3", m.Graph.Output[0].Type.TensorType.Shape.Dim[0].DimParam);
    }

    [Fact]
    public void DropoutIsRemoved()
    {
        var model = new Sequential(new Conv2d(2, 3, 1, generator: G), new Dropout2d(0.3, G), new ReLU(), new Flatten(), new Dropout(0.5, G), new Linear(12, 4, generator: G));
        model.Train();
        var m = Check(model, [4, 2, 2, 2]);
        Assert.Equal(["Conv", "Relu", "Reshape", "Gemm", "Identity"], Ops(m));
        Assert.True(model.Training, "the export leaves the model in the mode it was in");
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("rnn-tanh")]
    [InlineData("rnn-relu")]
    public void RecurrentLayersBidirectionalStackedBatchFirstAndNot(string kind)
    {
        foreach (bool batchFirst in new[] { false, true })
        {
            IRecurrentLayer layer = kind switch
            {
                "lstm" => new LSTM(5, 7, numLayers: 2, batchFirst: batchFirst, bidirectional: true, dropout: 0.3, generator: G),
                "gru" => new GRU(5, 7, numLayers: 2, batchFirst: batchFirst, bidirectional: true, generator: G),
                _ => new RNN(5, 7, numLayers: 2, nonlinearity: kind == "rnn-relu" ? RnnNonlinearity.Relu : RnnNonlinearity.Tanh, batchFirst: batchFirst, bidirectional: true, generator: G),
            };
            var module = (Module)layer;
            Tensor[] Forward(Tensor[] x)
            {
                var (o, h, c) = layer.Run(x[0], x[1], c0: x.Length > 2 ? x[2] : null);
                return c is null ? [o, h] : [o, h, c];
            }
            int[] Seq(int n) => batchFirst ? [n, 6, 5] : [6, n, 5];
            Tensor[] Inputs(int n) => kind == "lstm" ? [Tensor.Randn(Seq(n), G), Tensor.Randn([4, n, 7], G), Tensor.Randn([4, n, 7], G)] : [Tensor.Randn(Seq(n), G), Tensor.Randn([4, n, 7], G)];
            var m = Check(module, Forward, Inputs(2), Inputs(3), new OnnxExportOptions { BatchAxes = kind == "lstm" ? [batchFirst ? 0 : 1, 1, 1] : [batchFirst ? 0 : 1, 1] });
            Assert.Equal(4, Ops(m).Count(o => o is "LSTM" or "GRU" or "RNN"));
        }
    }

    [Fact]
    public void RecurrentLayersWithoutBiasAndFromAZeroState()
    {
        var lstm = new LSTM(3, 4, bias: false, generator: G);
        // No initial state: the layer starts from zeros made for the batch, which the graph makes at run time.
        var m = Check(lstm, x => [lstm.Call(x[0]).Output], [Tensor.Randn([5, 2, 3], G)], [Tensor.Randn([5, 4, 3], G)], new OnnxExportOptions { BatchAxis = 1 });
        Assert.Contains("ConstantOfShape", Ops(m));
    }

    [Fact]
    public void EmbeddingIsAGather()
    {
        var embedding = new Embedding(20, 6, paddingIdx: 0, generator: G);
        var m = Check(embedding, x => [embedding.Call(x[0])], [Tensor.Randint(0, 20, [2, 7], G)], [Tensor.Randint(0, 20, [4, 7], G)]);
        Assert.Equal(["Gather", "Identity"], Ops(m));
        Assert.Equal("weight", m.Graph.Initializer.Single(i => i.Dims.Count == 2).Name);
    }

    [Fact]
    public void UpsamplingAndLocalResponseNorm()
    {
        Check(new Upsample(scaleFactor: 2), [2, 3, 4, 5]);
        Check(new LocalResponseNorm(3, 1e-3, 0.75, 2), [2, 6, 4, 4]);
    }

    [Fact]
    public void AStaticBatchGraphFixesTheExamplesShape()
    {
        var model = new Linear(4, 2, generator: G);
        var m = ModelProto.Parser.ParseFrom(OnnxExport.ToBytes(model, x => [model.Call(x[0])], [Tensor.Randn([3, 4], G)], new OnnxExportOptions { DynamicBatch = false }));
        Assert.Equal(3, m.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimValue);
        Assert.Equal(17, m.OpsetImport.Single().Version);
        Assert.Equal(8, m.IrVersion);
    }
}
