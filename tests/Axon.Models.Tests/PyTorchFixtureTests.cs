using Axon.IO;
using Axon.Nn;

namespace Axon.Models.Tests;

/// <summary>
/// Weights and logits from PyTorch (tests/Fixtures/make_safetensors_fixture.py, PyTorch 1.13 on Debian 12): an 8-16-4
/// MLP's state dict in safetensors format loads into <see cref="Mlp"/> and gives PyTorch's logits.
/// </summary>
public class PyTorchFixtureTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    [Fact]
    public void PyTorchStateDictLoadsIntoMlpAndReproducesTheLogits()
    {
        var model = new Mlp([8, 16, 4], generator: new Generator(0));
        var meta = model.Load(Fixture("mlp_8_16_4.safetensors"));
        Assert.Equal("pt", meta["format"]);

        var (io, ioMeta) = Safetensors.Load(Fixture("mlp_8_16_4_io.safetensors"));
        Assert.StartsWith("1.13", ioMeta["torch"], StringComparison.Ordinal);
        var x = io.Single(kv => kv.Key == "input").Value;
        var expected = io.Single(kv => kv.Key == "logits").Value;
        Assert.Equal([5, 8], x.GetShape());

        Tensor logits;
        using (GradMode.NoGrad()) logits = model.Eval().Call(x);
        Assert.Equal(expected.GetShape(), logits.GetShape());
        var e = expected.ToFloatArray();
        var a = logits.ToFloatArray();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= 1e-5, $"logit {i}: PyTorch {e[i]}, Axon {a[i]}");
    }

    [Fact]
    public void AxonWritesTheSameBytesAsTheReferenceLayout()
    {
        // The script lays the file out as the reference implementation does; Axon's writer must agree byte for byte.
        string path = Fixture("mlp_8_16_4.safetensors");
        var (tensors, meta) = Safetensors.Load(path);
        Assert.Equal(File.ReadAllBytes(path), Safetensors.Serialize(tensors, meta));
    }
}
