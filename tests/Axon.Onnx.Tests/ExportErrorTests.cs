using Axon.Models.Generative;
using Axon.Nn;

namespace Axon.Onnx.Tests;

/// <summary>What cannot be exported stops the export with an error that names the op and the module that ran it.</summary>
public class ExportErrorTests
{
    private static readonly Generator G = new(31);

    /// <summary>A head that adds a loss to the forward pass: the loss has no place in a deployed graph.</summary>
    private sealed class LossHead : Module<Tensor, Tensor>
    {
        public override Tensor Forward(Tensor input) => Functional.CrossEntropy(input, Tensor.Zeros([input.Shape[0]], DType.Int64)).Unsqueeze(0);
    }

    private sealed class Swish : Function
    {
        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs) => [inputs[0] * inputs[0].Sigmoid()];

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs) => throw new NotSupportedException();
    }

    private sealed class SwishLayer : Module<Tensor, Tensor>
    {
        private readonly Swish swish = new();

        public override Tensor Forward(Tensor input) => swish.Apply(input);
    }

    /// <summary>Takes another path for batches of more than two.</summary>
    private sealed class BatchDependent : Module<Tensor, Tensor>
    {
        public override Tensor Forward(Tensor input) => input.Shape[0] > 2 ? input.Relu() : input.Tanh();
    }

    private static OnnxExportException Fails(Module<Tensor, Tensor> model, int[] example) =>
        Assert.Throws<OnnxExportException>(() => OnnxExport.ToBytes(model, x => [model.Call(x[0])], [Tensor.Randn(example, G)]));

    [Fact]
    public void AnOpWithoutAnOnnxMappingIsNamedWithItsModule()
    {
        var model = new Sequential(new Linear(4, 3, generator: G), new LossHead());
        var e = Fails(model, [2, 4]);
        Assert.Equal("CrossEntropy", e.Op);
        Assert.Equal("1 (LossHead)", e.Module);
        Assert.StartsWith("ONNX export: the op 'CrossEntropy' (reduction=Mean) in module 1 (LossHead) has no ONNX mapping: it is a loss", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACustomFunctionIsNamed()
    {
        var model = new Sequential(new Linear(4, 3, generator: G), new SwishLayer());
        var e = Fails(model, [2, 4]);
        Assert.Equal("1 (SwishLayer)", e.Module);
        Assert.Contains("it is the custom function Swish", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ARandomDrawInTheForwardPassIsRefused()
    {
        // The VAE's own forward samples z = mean + σ·ε: ε is a batch-sized tensor of random numbers, not a graph op.
        var vae = (Vae)GenerativeZoo.Create("vae", G);
        var e = Assert.Throws<OnnxExportException>(() => OnnxExport.ToBytes(vae, x => [vae.Call(x[0]).Logits], [Tensor.Rand([2, 784], G)]));
        Assert.Contains("follows the batch size and holds varying values (random numbers?), read by Mul in Vae", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AForwardPassWhosePathDependsOnTheBatchIsRefusedUnlessTheBatchIsFixed()
    {
        var e = Fails(new BatchDependent(), [2, 3]);
        Assert.Contains("runs other ops for a batch of 3 than for 2 (op 0: Tanh in BatchDependent, then Relu)", e.Message, StringComparison.Ordinal);
        var model = new BatchDependent();
        var bytes = OnnxExport.ToBytes(model, x => [model.Call(x[0])], [Tensor.Randn([2, 3], G)], new OnnxExportOptions { DynamicBatch = false });
        Assert.Equal(["Tanh", "Identity"], global::Onnx.ModelProto.Parser.ParseFrom(bytes).Graph.Node.Select(n => n.OpType));
    }

    [Fact]
    public void BadOptionsAreArgumentErrors()
    {
        var model = new Linear(4, 2, generator: G);
        Func<Tensor[], Tensor[]> f = x => [model.Call(x[0])];
        var e = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(model, f, [Tensor.Randn([2, 4], G)], new OnnxExportOptions { BatchAxis = 2 }));
        Assert.Contains("axis 2 of example input 0 (shape [2, 4]) is not a batch axis", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(model, f, [Tensor.Randn([2, 4], G)], new OnnxExportOptions { OutputNames = ["a", "b"] }));
        Assert.Contains("the graph has 1 outputs; give 1 distinct, non-empty output names", e.Message, StringComparison.Ordinal);
    }
}
