using System.Text.Json;
using Axon.IO;

namespace Axon.Cli.Tests;

/// <summary><c>axon train --model vae|gan|…</c> and <c>axon generate</c>, end to end on the tiny synthetic data set.</summary>
public sealed partial class TrainCommandTests
{
    private static readonly string[] PictureFiles = ["samples-epoch-01.png", "samples.png", "interpolation.png"];

    [Theory]
    [InlineData("autoencoder", "squared_error")]
    [InlineData("conv-autoencoder", "squared_error")]
    [InlineData("denoising-ae", "noisy_squared_error")]
    [InlineData("sparse-ae", "sparsity")]
    [InlineData("contractive-ae", "contractive")]
    [InlineData("vae", "kl")]
    [InlineData("gan", "d_real")]
    [InlineData("dcgan", "g_loss")]
    [InlineData("infogan", "q_accuracy")]
    [InlineData("siamese", "fewshot_5way_5shot")]
    public void EachGenerativeModelTrainsAndWritesItsPicturesAndSummary(string model, string metric)
    {
        Assert.Equal(0, Invoke("train", "--model", model, "--epochs", "1", "--data-dir", Data, "--output", Run, "--threads", "1"));
        foreach (var f in new[] { "model.safetensors", "checkpoint.safetensors", "summary.json", "curves.png" }.Concat(model == "siamese" ? [] : PictureFiles))
            Assert.True(File.Exists(Path.Combine(Run, f)), f);
        Assert.Equal(model is "vae" or "gan" or "dcgan" or "infogan", File.Exists(Path.Combine(Run, "traversal.png")));
        Assert.Empty(Directory.GetFiles(Run, "*.tmp*"));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(Run, "summary.json")));
        var root = summary.RootElement;
        Assert.Equal("axon", root.GetProperty("tool").GetString());
        Assert.Equal(model, root.GetProperty("model").GetString());
        Assert.Equal(1, root.GetProperty("seconds_per_epoch").GetArrayLength());
        double value = root.GetProperty("metrics").GetProperty(metric).GetDouble();
        Assert.True(double.IsFinite(value), $"{metric} = {value}");
        // The data set holds 240 training images; the Siamese network trains on two pairs per image of classes 0-5 (144).
        Assert.Equal(model == "siamese" ? 288 : 240, root.GetProperty("images_per_epoch").GetInt32());
        if (model == "siamese") Assert.InRange(value, 0.0, 1.0);
    }

    [Fact]
    public void ResumingAGanIsExactAndKeepsTheTimesOfEarlierEpochs()
    {
        string straight = Path.Combine(dir.FullName, "straight");
        Assert.Equal(0, Invoke("train", "--model", "gan", "--epochs", "2", "--data-dir", Data, "--output", straight, "--threads", "1"));
        Assert.Equal(0, Invoke("train", "--model", "gan", "--epochs", "1", "--data-dir", Data, "--output", Run, "--threads", "1"));
        Assert.Equal(0, Invoke("train", "--epochs", "2", "--resume", "--data-dir", Data, "--output", Run, "--threads", "1"));
        var a = Safetensors.Load(Path.Combine(straight, "model.safetensors")).Tensors;
        var b = Safetensors.Load(Path.Combine(Run, "model.safetensors")).Tensors;
        Assert.Equal(a.Select(kv => kv.Key), b.Select(kv => kv.Key));
        foreach (var ((key, x), (_, y)) in a.Zip(b)) Assert.True(x.ToFloatArray().SequenceEqual(y.ToFloatArray()), key);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(Run, "summary.json")));
        Assert.Equal(2, summary.RootElement.GetProperty("seconds_per_epoch").GetArrayLength());
    }

    [Fact]
    public void ADivergingGanStopsNamingTheStepAndKeepsTheLastGoodCheckpoint()
    {
        // The rate is multiplied by 1e30 after the first epoch: the players' weights overflow in the second.
        var (code, _, text) = Capture("train", "--model", "gan", "--epochs", "3", "--schedule", "exp", "--gamma", "1e30",
            "--data-dir", Data, "--output", Run, "--threads", "1");
        Assert.Equal(1, code);
        Assert.Matches(@"error: Loss became (NaN|infinite) at epoch 2, step (\d+) \(batch (\d+) of 4\); stopping\. The last good checkpoint is .*checkpoint\.safetensors \(end of epoch 1\)\.", text);
        string checkpoint = Path.Combine(Run, "checkpoint.safetensors");
        Assert.Equal(1, Checkpoint.ReadInfo(checkpoint).Epoch);
        Assert.False(File.Exists(Path.Combine(Run, "model.safetensors")));
        // The checkpoint is intact: generate draws from it.
        Assert.Equal(0, Invoke("generate", checkpoint, "--out", Path.Combine(dir.FullName, "from-checkpoint.png")));
    }

    [Fact]
    public void GenerateDrawsPicturesAndWritesSamplesToJudge()
    {
        Assert.Equal(0, Invoke("train", "--model", "infogan", "--epochs", "1", "--data-dir", Data, "--output", Run, "--threads", "1"));
        string model = Path.Combine(Run, "model.safetensors");
        foreach (var extra in new[] { Array.Empty<string>(), ["--interpolate"], ["--traverse", "--range", "1.5"] })
        {
            string png = Path.Combine(dir.FullName, $"pic{extra.Length}.png");
            Assert.Equal(0, Invoke(["generate", model, "--grid", "3x5", "--out", png, .. extra]));
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png)[..4]);
        }
        string samples = Path.Combine(dir.FullName, "samples.safetensors");
        Assert.Equal(0, Invoke("generate", model, "--count", "30", "--out", samples, "--seed", "3"));
        var tensors = Safetensors.Load(samples).Tensors.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal([30, 1, 28, 28], tensors["images"].Shape.ToArray());
        Assert.All(tensors["images"].ToFloatArray(), v => Assert.InRange(v, 0f, 1f));
        // Three of each of the ten categories, in order.
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (long)(i / 3)), tensors["categories"].ToArray<long>());
        // The same seed gives the same samples.
        string again = Path.Combine(dir.FullName, "again.safetensors");
        Assert.Equal(0, Invoke("generate", model, "--count", "30", "--out", again, "--seed", "3"));
        Assert.Equal(tensors["images"].ToFloatArray(), Safetensors.Load(again).Tensors.Single(kv => kv.Key == "images").Value.ToFloatArray());
    }

    [Fact]
    public void GenerateExplainsWhatItCannotDo()
    {
        Assert.Equal(0, Invoke("train", "--model", "mlp", "--epochs", "1", "--data-dir", Data, "--output", Run, "--threads", "1"));
        var (code, _, text) = Capture("generate", Path.Combine(Run, "model.safetensors"));
        Assert.Equal(1, code);
        Assert.Contains("holds mlp, which does not generate images", text, StringComparison.Ordinal);

        string siamese = Path.Combine(dir.FullName, "siamese");
        Assert.Equal(0, Invoke("train", "--model", "siamese", "--epochs", "1", "--data-dir", Data, "--output", siamese, "--threads", "1"));
        (code, _, text) = Capture("generate", Path.Combine(siamese, "model.safetensors"), "--out", Path.Combine(dir.FullName, "x.png"));
        Assert.Equal(1, code);
        Assert.Contains("A Siamese network embeds images; it does not generate them", text, StringComparison.Ordinal);

        (code, _, text) = Capture("generate", Path.Combine(Run, "model.safetensors"), "--grid", "0x3");
        Assert.Equal(1, code);
        Assert.Contains("--grid", text, StringComparison.Ordinal);
        (code, _, text) = Capture("generate", Path.Combine(Run, "model.safetensors"), "--interpolate", "--traverse");
        Assert.Equal(1, code);
        Assert.Contains("give one of them", text, StringComparison.Ordinal);
    }
}
