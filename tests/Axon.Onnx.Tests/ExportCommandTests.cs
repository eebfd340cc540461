using System.CommandLine;
using Axon.Cli;
using Axon.Data;
using Axon.IO;
using Axon.Models;
using Axon.Nn;

namespace Axon.Onnx.Tests;

/// <summary><c>axon export</c>: by name, from weights files and checkpoints, and its errors on bad files.</summary>
public sealed class ExportCommandTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("axon-export-");

    public void Dispose() => dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(dir.FullName, name);

    private static (int Code, string Text, string Errors) Run(params string[] args)
    {
        var (output, errors) = (new StringWriter(), new StringWriter());
        int code = Cli.Cli.Run(Cli.Cli.CreateRoot(), args, new InvocationConfiguration { Output = output, Error = errors });
        return (code, output.ToString(), errors.ToString());
    }

    [Fact]
    public void ExportsAZooModelByNameWithItsSeed()
    {
        string onnx = PathOf("cnn.onnx");
        var (code, text, errors) = Run("export", "lecture-cnn", "--out", onnx, "--seed", "5");
        Assert.True(code == 0, errors);
        Assert.StartsWith($"Wrote {onnx} (", text, StringComparison.Ordinal);
        Assert.Contains("lecture-cnn with random weights (seed 5)", text, StringComparison.Ordinal);
        Assert.Contains("inputs:  input: float32 [batch, 1, 28, 28]", text, StringComparison.Ordinal);
        Assert.Contains("outputs: output: float32 [batch, 10]", text, StringComparison.Ordinal);
        var model = ModelZoo.Create("lecture-cnn", 10, new Generator(5)).Eval();
        var x = Tensor.Rand([3, 1, 28, 28], new Generator(6));
        using (GradMode.NoGrad()) OrtRunner.AssertClose(model.Forward(x), OrtRunner.Run(File.ReadAllBytes(onnx), x)[0], 1e-5);
    }

    [Fact]
    public void ExportsATrainedClassifierFromItsWeightsFile()
    {
        var model = ModelZoo.Create("vgg-small", 10, new Generator(7));
        OrtRunner.PerturbBatchNorms(model, new Generator(8));
        string weights = PathOf("model.safetensors"), onnx = PathOf("vgg.onnx");
        model.Save(weights, new Dictionary<string, string> { ["model"] = "vgg-small" });
        var (code, text, errors) = Run("export", weights, "--out", onnx);
        Assert.True(code == 0, errors);
        Assert.Contains($"vgg-small from {weights}", text, StringComparison.Ordinal);
        var x = Tensor.Rand([2, 1, 28, 28], new Generator(9));
        model.Eval();
        using (GradMode.NoGrad()) OrtRunner.AssertClose(model.Forward(x), OrtRunner.Run(File.ReadAllBytes(onnx), x)[0], 1e-5);
    }

    [Fact]
    public void ExportsAGeneratorFromATrainingCheckpoint()
    {
        var gan = (Models.Generative.Gan)Models.Generative.GenerativeZoo.Create("dcgan", new Generator(11));
        OrtRunner.PerturbBatchNorms(gan, new Generator(12));
        string checkpoint = PathOf("checkpoint.safetensors"), onnx = PathOf("dcgan.onnx");
        var info = new CheckpointInfo { Epoch = 3, Step = 300 };
        info.Metadata["model"] = "dcgan";
        Checkpoint.Save(checkpoint, gan, info: info);
        var (code, text, errors) = Run("export", checkpoint, "--out", onnx);
        Assert.True(code == 0, errors);
        Assert.Contains("inputs:  codes: float32 [batch, 64]", text, StringComparison.Ordinal);
        Assert.Contains("outputs: images: float32 [batch, 1, 28, 28]", text, StringComparison.Ordinal);
        var z = Tensor.Randn([4, 64], new Generator(13));
        gan.Eval();
        using (GradMode.NoGrad()) OrtRunner.AssertClose(gan.Forward(z), OrtRunner.Run(File.ReadAllBytes(onnx), z)[0], 1e-5);
    }

    [Fact]
    public void ExportsALanguageModelWithItsStateAsInputsAndOutputs()
    {
        var vocabulary = new CharVocabulary("abcdefgh ".Select(c => (int)c));
        var lm = new CharLm(vocabulary.Count, hiddenSize: 16, numLayers: 2, generator: new Generator(10));
        string weights = PathOf("lm.safetensors"), onnx = PathOf("lm.onnx");
        lm.Save(weights, lm.Metadata(vocabulary));
        var (code, text, errors) = Run("export", weights, "--out", onnx, "--steps", "3");
        Assert.True(code == 0, errors);
        Assert.Contains("inputs:  ids: int64 [3, batch]; h0: float32 [2, batch, 16]; c0: float32 [2, batch, 16]", text, StringComparison.Ordinal);
        Assert.Contains("outputs: logits: float32 [3, batch, 9]; h: float32 [2, batch, 16]; c: float32 [2, batch, 16]", text, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingFileIsAClearError()
    {
        string missing = PathOf("nowhere/model.safetensors");
        var (code, _, errors) = Run("export", missing, "--out", PathOf("x.onnx"));
        Assert.Equal(1, code);
        Assert.Equal($"error: {missing}: no such file (give a model.safetensors or checkpoint.safetensors, or a zoo model's name).", errors.Trim());
        Assert.False(File.Exists(PathOf("x.onnx")));
    }

    [Fact]
    public void ACorruptOrForeignFileIsAClearError()
    {
        string corrupt = PathOf("corrupt.safetensors");
        File.WriteAllBytes(corrupt, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3]);
        var (code, _, errors) = Run("export", corrupt, "--out", PathOf("x.onnx"));
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {corrupt}:", errors, StringComparison.Ordinal);

        string foreign = PathOf("foreign.safetensors");
        new Linear(2, 2).Save(foreign);
        (code, _, errors) = Run("export", foreign, "--out", PathOf("x.onnx"));
        Assert.Equal(1, code);
        Assert.Equal($"error: {foreign}: the file does not say which model it holds; it was not written by axon train or axon lm train.", errors.Trim());
        Assert.False(File.Exists(PathOf("x.onnx")));
    }

    [Fact]
    public void AnUnknownNameListsTheKnownModels()
    {
        var (code, _, errors) = Run("export", "resnet9000", "--out", PathOf("x.onnx"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: resnet9000: neither a file nor a known model. Known models: lecture-cnn, lenet5,", errors, StringComparison.Ordinal);
    }
}
