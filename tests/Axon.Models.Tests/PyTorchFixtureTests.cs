using Axon.IO;
using Axon.Nn;

namespace Axon.Models.Tests;

/// <summary>
/// Weights and logits from PyTorch (tests/Fixtures/make_safetensors_fixture.py, PyTorch 1.13 on Debian 12): the state
/// dicts of an MLP, the lecture CNN and a small ResNet load into the matching Axon models and give PyTorch's logits.
/// </summary>
public class PyTorchFixtureTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    /// <summary>Loads PyTorch's state dict into <paramref name="model"/> and checks its eval-mode logits against PyTorch's to 1e-5.</summary>
    private static void AssertReproducesPyTorch(Module<Tensor, Tensor> model, string stem)
    {
        var meta = model.Load(Fixture(stem + ".safetensors"));
        Assert.Equal("pt", meta["format"]);
        var (io, ioMeta) = Safetensors.Load(Fixture(stem + "_io.safetensors"));
        Assert.StartsWith("1.13", ioMeta["torch"], StringComparison.Ordinal);
        var x = io.Single(kv => kv.Key == "input").Value;
        var expected = io.Single(kv => kv.Key == "logits").Value;
        Tensor logits;
        using (GradMode.NoGrad()) logits = model.Eval().Call(x);
        Assert.Equal(expected.GetShape(), logits.GetShape());
        var e = expected.ToFloatArray();
        var a = logits.ToFloatArray();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= 1e-5, $"{stem} logit {i}: PyTorch {e[i]}, Axon {a[i]}");
    }

    [Fact]
    public void PyTorchStateDictLoadsIntoMlpAndReproducesTheLogits() => AssertReproducesPyTorch(new Mlp([8, 16, 4], generator: new Generator(0)), "mlp_8_16_4");

    [Fact]
    public void PyTorchLectureCnnLoadsAndReproducesTheLogits() => AssertReproducesPyTorch(new LectureCnn(generator: new Generator(0)), "lecture_cnn");

    [Fact]
    public void PyTorchResNetWithBatchNormStatisticsLoadsAndReproducesTheLogits()
    {
        var model = new ResNet([1, 1], [8, 16], generator: new Generator(0));
        AssertReproducesPyTorch(model, "resnet_tiny");
        // The int64 batch counter and the running statistics came from the file.
        var state = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(7, state["layer2.0.downsample.1.num_batches_tracked"].Item());
        Assert.Equal(DType.Int64, state["bn1.num_batches_tracked"].DType);
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
