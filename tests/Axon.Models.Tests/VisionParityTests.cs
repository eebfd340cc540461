using System.Globalization;
using Axon.IO;
using Axon.Models.Vision;
using Axon.Nn;
using Xunit.Abstractions;

namespace Axon.Models.Tests;

/// <summary>
/// Every full-size model of <see cref="VisionZoo"/> against torchvision 0.14: the state dict that
/// <c>bench/vision/parity.py</c> saved from torchvision's randomly initialised model (batch norms given random
/// statistics) is loaded into Axon's model, which must reproduce torchvision's eval-mode logits on the saved input
/// within 1e-4. Runs only where <c>AXON_VISION_PARITY_DIR</c> names the script's output (the weights are gigabytes and
/// not committed); elsewhere each case passes without checking anything. Each format of the weights is a
/// <see cref="Loaders"/> entry (the file <c>{model}.{format}</c>); the largest difference of each case is written to
/// <c>axon-{model}.{format}.txt</c> in that directory (collected in bench/results/vision-parity.json).
/// </summary>
public class VisionParityTests(ITestOutputHelper output)
{
    /// <summary>The bound on |Axon - torchvision| per logit (the logits are below 1.5 in magnitude, see parity.py).</summary>
    private const double Tolerance = 1e-4;

    /// <summary>State-dict readers by file extension; safetensors and PyTorch's own <c>.pth</c> (torch.save's zip, read by the whitelisting unpickler).</summary>
    private static readonly Dictionary<string, Func<string, IEnumerable<KeyValuePair<string, Tensor>>>> Loaders = new(StringComparer.Ordinal)
    {
        ["safetensors"] = path => Safetensors.Load(path).Tensors,
        ["pth"] = PyTorchPth.Load,
    };

    private static string? Dir => Environment.GetEnvironmentVariable("AXON_VISION_PARITY_DIR");

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var (name, _) in VisionZoo.Names.Where(n => !n.Name.EndsWith("-small", StringComparison.Ordinal)))
            foreach (var format in Loaders.Keys)
                data.Add(name, format);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LogitsMatchTorchvision(string model, string format)
    {
        if (Dir is not { Length: > 0 } dir)
        {
            output.WriteLine("AXON_VISION_PARITY_DIR is not set: nothing checked (see bench/vision/parity.py).");
            return;
        }
        string weights = Path.Combine(dir, $"{model}.{format}"), io = Path.Combine(dir, $"{model}_io.safetensors");
        Assert.True(File.Exists(weights), $"{weights} is missing: run bench/vision/parity.py {dir}.");
        var net = VisionZoo.Create(model, generator: new Generator(1));
        net.LoadStateDict(Loaders[format](weights));
        net.Eval();
        var tensors = Safetensors.Load(io).Tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        Tensor logits;
        using (GradMode.NoGrad()) logits = net.Forward(tensors["input"]);
        var expected = tensors["logits"];
        Assert.Equal(expected.GetShape(), logits.GetShape());
        float[] e = expected.ToFloatArray(), a = logits.ToFloatArray();
        double max = 0;
        for (int i = 0; i < e.Length; i++) max = Math.Max(max, Math.Abs((double)e[i] - a[i]));
        output.WriteLine($"{model} ({format}): max |Axon - torchvision| = {max:E3} over {e.Length} logits (max |logit| {e.Max(Math.Abs):G4})");
        File.WriteAllText(Path.Combine(dir, $"axon-{model}.{format}.txt"), string.Create(CultureInfo.InvariantCulture, $"{max:R} {e.Max(Math.Abs):R}\n"));
        Assert.True(max <= Tolerance, $"{model} ({format}): the logits differ from torchvision's by up to {max:E3} (> {Tolerance}).");
    }
}
