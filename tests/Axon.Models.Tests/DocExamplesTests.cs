using Axon.Backends;
using Axon.Data;
using Axon.Models.Training;
using Axon.Nn;
using Axon.Tracing;

namespace Axon.Models.Tests;

/// <summary>
/// The short examples of README.md and ARCHITECTURE.md (devices, second derivatives, custom functions, tracing, modules of
/// several inputs, the trainer), run as written so that the documentation cannot drift from the API.
/// </summary>
public class DocExamplesTests
{
    /// <summary>README: Swish with a hand-written backward.</summary>
    private sealed class Swish : Function
    {
        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
        {
            ctx.SaveForBackward(inputs[0]);
            return [inputs[0] * inputs[0].Sigmoid()];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs)
        {
            var x = ctx.SavedTensors[0];
            var s = x.Sigmoid();
            return [gradOutputs[0] * (s + x * s * (1.0 - s))];
        }
    }

    /// <summary>README: a Siamese module of two inputs and two outputs, one shared branch.</summary>
    private sealed class Siamese : Module<(Tensor A, Tensor B), (Tensor A, Tensor B)>
    {
        private readonly Module<Tensor, Tensor> branch;

        public Siamese(Module<Tensor, Tensor> branch) => this.branch = RegisterModule("branch", branch);

        public override (Tensor A, Tensor B) Forward((Tensor A, Tensor B) input) => (branch.Call(input.A), branch.Call(input.B));
    }

    [Fact]
    public void RecurrentLayers()
    {
        var g = new Generator(0);
        var x = Tensor.Randn([3, 7, 28], g);
        var nextChunk = Tensor.Randn([3, 7, 28], g);
        var lstm = new LSTM(inputSize: 28, hiddenSize: 64, numLayers: 2, batchFirst: true, bidirectional: true, generator: g);
        var (output, state) = lstm.Forward(x);
        var (next, carried) = lstm.Forward(nextChunk, state.Detach());
        var (padded, last) = lstm.Forward(x, null, lengths: [7, 3, 5]);
        Assert.Equal([3, 7, 128], output.GetShape());
        Assert.Equal([4, 3, 64], state.H.GetShape());
        Assert.Equal([4, 3, 64], carried.C.GetShape());
        Assert.True(state.Detach().H.IsLeaf);
        Assert.Equal(output.Narrow(0, 0, 1).ToFloatArray(), padded.Narrow(0, 0, 1).ToFloatArray());   // full length: unchanged
        Assert.All(padded.Select(0, 1).Narrow(0, 3, 4).ToFloatArray(), v => Assert.Equal(0f, v));      // past length 3: zeros
        Assert.Equal([3, 7, 128], next.GetShape());
        Assert.Equal([4, 3, 64], last.H.GetShape());
    }

    [Fact]
    public void DevicesAndTheReferenceBackend()
    {
        var g = new Generator(0);
        var cpu = Device.CpuWith(new CpuOptions { Threads = 2 });   // the backend's options, no process-wide switches
        var model = new LectureCnn(numClasses: 10, generator: g).To(cpu);
        var x = Tensor.Randn([8, 1, 28, 28], g).To(cpu);
        var logits = model.Forward(x);
        var same = model.To(Device.Reference).Forward(x.To(Device.Reference));   // plain loops, to check the fast kernels
        Assert.Equal([8, 10], logits.GetShape());
        Assert.Equal(Device.Reference, same.Device);
        var diff = (logits.To(Device.Reference) - same).Abs().Max().Item();
        Assert.True(diff < 1e-4, $"CPU and reference differ by {diff}");
    }

    [Fact]
    public void SecondDerivativesAndCustomFunctions()
    {
        var x = Tensor.Randn([5], new Generator(1), DType.Float64).RequiresGrad_();
        var y = (x * x * x).Sum();
        var dy = Autograd.Grad(y, x, createGraph: true);        // 3x², itself recorded
        var d2y = Autograd.Grad(dy.Sum(), x);                   // 6x
        foreach (var (want, got) in (x * 6).ToDoubleArray().Zip(d2y.ToDoubleArray())) Assert.Equal(want, got, 12);

        var z = new Swish().Apply(x);
        z.Sum().Backward();
        Assert.Equal("Swish", z.GradFn!.Op);
        var s = x.Detach().Sigmoid();
        var expected = s + x.Detach() * s * (1.0 - s);
        foreach (var (want, got) in expected.ToDoubleArray().Zip(x.Grad!.ToDoubleArray())) Assert.Equal(want, got, 12);
    }

    [Fact]
    public void TracingAModuleAndATwoInputModule()
    {
        var g = new Generator(2);
        var model = new LectureCnn(numClasses: 10, generator: g).Eval();
        var x = Tensor.Randn([4, 1, 28, 28], g);
        var graph = Trace.Of(model, x);                        // op kinds, attributes, shapes
        var again = graph.Run(Tensor.Randn([4, 1, 28, 28], g)); // re-executed on a new batch
        Assert.Equal([4, 10], again[0].GetShape());
        Assert.Equal(2, graph.OpCounts()["Conv2dReluMaxPool2d"]);   // each Conv2d, ReLU, MaxPool2d runs as one op

        var siamese = new Siamese(new Linear(3, 2, generator: g));
        var (a, b) = siamese.Forward((Tensor.Randn([1, 3], g), Tensor.Randn([1, 3], g)));
        Assert.Equal([1, 2], a.GetShape());
        Assert.Equal([1, 2], b.GetShape());
        Assert.Contains("Linear", siamese.Summary((Tensor.Randn([1, 3], g), Tensor.Randn([1, 3], g))), StringComparison.Ordinal);
    }

    [Fact]
    public void TheTrainerOnAClassificationTask()
    {
        var g = new Generator(3);
        var images = Tensor.Randn([64, 1, 28, 28], g);
        var labels = Tensor.Randint(0, 10, [64], g);
        var model = new LectureCnn(numClasses: 10, generator: g);
        var task = new ClassificationTask(model, numClasses: 10);
        var trainer = new Trainer(task, g, new TrainerOptions { Epochs = 2, BatchSize = 32, Augment = true, Prefetch = 0 });
        trainer.Callbacks.Add(new NanTermination());
        var history = trainer.Fit(new TensorDataset(images, labels), test: new TensorDataset(images, labels));
        Assert.Equal(2, history.Count);
        Assert.InRange(history[^1].TestAccuracy, 0, 1);
    }
}
