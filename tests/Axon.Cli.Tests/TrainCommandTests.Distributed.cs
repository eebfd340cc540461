using System.CommandLine;
using Axon.Distributed.Tests;

namespace Axon.Cli.Tests;

// axon train --distributed: two ranks under mpirun against one process on the same global batch.
public sealed partial class TrainCommandTests
{
    [MpiFact]
    public void TwoRanksTrainAsOneProcessOnTheGlobalBatch()
    {
        string parallel = Path.Combine(dir.FullName, "parallel"), single = Path.Combine(dir.FullName, "single");
        string[] common = ["train", "--model", "mlp", "--epochs", "2", "--lr", "0.05", "--data-dir", Data, "--threads", "1"];
        var (code, output, _) = Mpirun.Run(2, Path.Combine(AppContext.BaseDirectory, "Axon.Cli.dll"),
            [.. common, "--distributed", "--batch-size", "16", "--output", parallel], TimeSpan.FromSeconds(120));
        Assert.True(code == 0, output);
        Assert.Contains("data-parallel on 2 ranks (Open MPI", output);
        Assert.Contains("batch 16 per rank (32 per step)", output);
        Assert.Contains("Parameters and buffers bit-identical on all 2 ranks", output);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(output, "epoch 2: lr"));   // rank 0 alone prints
        Assert.Equal(0, Invoke([.. common, "--batch-size", "32", "--output", single]));

        var a = Axon.IO.Safetensors.Load(Path.Combine(parallel, "model.safetensors")).Tensors;
        var b = Axon.IO.Safetensors.Load(Path.Combine(single, "model.safetensors")).Tensors;
        Assert.Equal(b.Select(kv => kv.Key), a.Select(kv => kv.Key));
        foreach (var ((key, x), (_, y)) in a.Zip(b))
        {
            float[] p = x.ToFloatArray(), q = y.ToFloatArray();
            for (int i = 0; i < p.Length; i++) Assert.True(Math.Abs(p[i] - q[i]) <= 1e-5f, $"{key}[{i}]: {p[i]} on 2 ranks, {q[i]} in one process");
        }
        Assert.Equal(["best.safetensors", "checkpoint.safetensors", "confusion.png", "curves.png", "model.safetensors", "run.json"],
            Directory.GetFiles(parallel).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void DistributedOutsideMpirunAndSyncBnAloneAreClearErrors()
    {
        var error = new StringWriter();
        int code = Cli.Run(Cli.CreateRoot(), ["train", "--distributed", "--model", "mlp", "--data-dir", Data, "--output", Run],
            new InvocationConfiguration { Output = TextWriter.Null, Error = error });
        if (Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is null)
        {
            Assert.Equal(1, code);
            Assert.Contains("error: Distributed training must be launched by Open MPI's mpirun, one process per rank, e.g. `mpirun -np 2 ./axon train --distributed`", error.ToString());
            Assert.False(Directory.Exists(Run));
        }
        error.GetStringBuilder().Clear();
        Assert.Equal(1, Cli.Run(Cli.CreateRoot(), ["train", "--sync-bn", "--model", "mlp"], new InvocationConfiguration { Output = TextWriter.Null, Error = error }));
        Assert.Contains("--sync-bn synchronises batch norm across the ranks of a --distributed run; add --distributed (under mpirun).", error.ToString());
    }
}
