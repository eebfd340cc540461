using Axon.Cli;
using Axon.Models.Vision;
using Xunit.Abstractions;

namespace Axon.Onnx.Tests;

/// <summary>Runs only when AXON_ONNX_FULL=1: the ImageNet-size models take minutes on two cores, too long for CI.</summary>
public sealed class FullSizeFactAttribute : TheoryAttribute
{
    public FullSizeFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("AXON_ONNX_FULL") != "1")
            Skip = "the ImageNet-size models take minutes to export and run on two cores; set AXON_ONNX_FULL=1 to run them";
    }
}

/// <summary>
/// The vision zoo's full-size models (torchvision's layouts, 224x224 or 227x227 photos, 1000 classes) exported as
/// <c>axon export NAME</c> exports them and compared with ONNX Runtime on two photo-sized inputs.
/// </summary>
public class FullSizeExportTests(ITestOutputHelper output)
{
    public static TheoryData<string> Names => new(VisionZoo.Names.Select(n => n.Name).Where(n => VisionZoo.InputSize(n) != 28));

    [FullSizeFact]
    [MemberData(nameof(Names))]
    public void OnnxRuntimeComputesWhatAxonDoes(string name)
    {
        // By the vision zoo itself: axon export's "resnet18" is the classifier zoo's 28x28 one, as in axon summary.
        var model = VisionZoo.Create(name, 1000, 3, new Generator(0));
        OrtRunner.PerturbBatchNorms(model, new Generator(52));
        int size = VisionZoo.InputSize(name);
        var target = ExportTargets.For(model, [3, size, size]);
        var bytes = OnnxExport.ToBytes(target.Module, target.Forward, target.Examples, target.Options);
        var x = Tensor.Rand([2, 3, size, size], new Generator(53));
        Tensor expected;
        model.Eval();
        using (GradMode.NoGrad()) expected = target.Forward([x])[0];
        var actual = OrtRunner.Run(bytes, x)[0];
        double scale = expected.Abs().Max().Item();
        output.WriteLine($"{name}: {bytes.Length / 1e6:F0} MB, max |Axon - ORT| = {OrtRunner.MaxAbsDiff(expected, actual):E2}, max |Axon| = {scale:F3}");
        // Logits of 1000 classes after up to 121 layers of float32 sums in two orders: within 1e-5 of the largest logit.
        OrtRunner.AssertClose(expected, actual, 1e-5 * Math.Max(1, scale), what: name);
    }
}
