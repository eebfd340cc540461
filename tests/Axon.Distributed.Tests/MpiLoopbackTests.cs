using Axon.IO;

namespace Axon.Distributed.Tests;

/// <summary>
/// Two ranks under mpirun on 127.0.0.1 (the harness in tests/Axon.Distributed.Harness): bit-identical replicas equal to
/// one process on the global batch, and faults that end the job instead of hanging it.
/// </summary>
public sealed class MpiLoopbackTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("axon-mpi-");

    private static string Harness => Path.Combine(AppContext.BaseDirectory, "Axon.Distributed.Harness.dll");

    public void Dispose() => dir.Delete(true);

    private static (int ExitCode, string Output, TimeSpan Elapsed) Run(params string[] arguments) => Mpirun.Run(2, Harness, arguments, TimeSpan.FromSeconds(90));

    private static Dictionary<string, float[]> Load(string path) =>
        Safetensors.Load(path).Tensors.Where(kv => kv.Value.DType == DType.Float32).ToDictionary(kv => kv.Key, kv => kv.Value.ToFloatArray());

    [MpiFact]
    public void TwoRanksEndBitIdenticalAndEqualToOneProcessOnTheGlobalBatch()
    {
        var (code, output, _) = Run("parity", dir.FullName);
        Assert.True(code == 0, output);
        Assert.Contains("rank 0 of 2: 5 steps", output);
        Assert.Contains("rank 1 of 2: 5 steps", output);
        var (rank0, rank1, single) = (Load(Path.Combine(dir.FullName, "rank0.safetensors")), Load(Path.Combine(dir.FullName, "rank1.safetensors")), Load(Path.Combine(dir.FullName, "single.safetensors")));
        Assert.Equal(8, rank0.Count);   // conv weight and bias; batch-norm weight, bias, running mean and variance; linear weight and bias
        Assert.Equal(single.Keys.Order(), rank0.Keys.Order());
        foreach (var (key, values) in rank0)
        {
            Assert.True(values.SequenceEqual(rank1[key]), $"{key} differs between the ranks");
            for (int i = 0; i < values.Length; i++) Assert.True(Math.Abs(values[i] - single[key][i]) <= 2e-5f, $"{key}[{i}]: {values[i]} on 2 ranks, {single[key][i]} in one process");
        }
    }

    [MpiFact]
    public void ARankThatCrashesEndsTheJobInsteadOfHangingIt()
    {
        var (code, output, elapsed) = Run("die");
        Assert.NotEqual(0, code);
        Assert.NotEqual(-1, code);   // -1: killed by the test's own limit, i.e. it hung
        Assert.True(elapsed < TimeSpan.FromSeconds(60), $"took {elapsed}");
        Assert.Contains("exit", output, StringComparison.OrdinalIgnoreCase);
    }

    [MpiFact]
    public void ARankThatHangsMakesTheOthersTimeOutAndAbortTheJob()
    {
        var (code, output, elapsed) = Run("hang");
        Assert.NotEqual(0, code);
        Assert.NotEqual(-1, code);
        Assert.True(elapsed < TimeSpan.FromSeconds(50), $"took {elapsed}");   // rank 1 sleeps 60 s: the abort ended it
        Assert.Contains("error: rank 0 of 2: collective #", output);
        Assert.Contains("did not finish within 3 s", output);
    }

    [MpiFact]
    public void DifferentModelsAreRefusedOnEveryRank()
    {
        var (code, output, _) = Run("mismatch");
        Assert.NotEqual(0, code);
        // Both ranks detect it; the first to abort may end the other before it has printed.
        Assert.Matches("error: rank [01] of 2: DistributedDataParallel: the ranks hold different models", output);
        Assert.Contains("rank 0: 9 tensors, 528 elements; rank 1: 9 tensors, 659 elements", output);
    }
}
