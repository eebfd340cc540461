using System.Diagnostics;
using Axon.Cuda;

namespace Axon.Cli.Tests;

// --device and --tf32: the usage errors, the one-line error where CUDA is missing, run.json and --resume, and proof that a
// CPU run never looks for a CUDA library.
public sealed partial class TrainCommandTests
{
    private static readonly string[] CudaLibraryNames = ["libcuda", "libnvrtc", "libcublas", "libcudnn"];

    [Theory]
    [InlineData("cuda:x")]
    [InlineData("tpu")]
    [InlineData("cuda:-1")]
    public void DeviceOtherThanCpuOrCudaIsAUsageError(string device)
    {
        foreach (var command in new[] { new[] { "train", "--model", "mlp", "--data-dir", Data, "--output", Run }, ["eval", "model.safetensors"], ["predict", "model.safetensors", "a.png"] })
        {
            var (code, text, errors) = Capture([.. command, "--device", device]);
            Assert.True(code == 1, text + errors);
            Assert.Contains($"--device must be cpu, cuda or cuda:N, N the number of a GPU (0, 1, ...) (got '{device}')", errors, StringComparison.Ordinal);
            Assert.Contains($"Run 'axon {command[0]} --help' for usage.", errors, StringComparison.Ordinal);
        }
        Assert.False(Directory.Exists(Run));
    }

    [Fact]
    public void Tf32WithoutACudaDeviceIsAnError()
    {
        foreach (var command in new[] { new[] { "train", "--model", "mlp", "--data-dir", Data, "--output", Run }, ["eval", "model.safetensors"], ["predict", "model.safetensors", "a.png"], ["lm", "train"] })
            foreach (var device in new[] { Array.Empty<string>(), ["--device", "cpu"] })
            {
                var (code, text, errors) = Capture([.. command, .. device, "--tf32"]);
                Assert.True(code == 1, text + errors);
                Assert.Contains("--tf32 lets a CUDA device multiply float32 matrices on its TF32 tensor cores; the CPU always computes in full float32, so it needs --device cuda or cuda:N", errors, StringComparison.Ordinal);
            }
        Assert.False(Directory.Exists(Run));
    }

    [Fact]
    public void CudaWithoutTheDriverFailsWithOneLineNamingTheLibraryAndWhereItLooked()
    {
        if (CudaBackend.IsAvailable(out string why)) return;   // a GPU machine: the CUDA tests cover it
        Assert.Contains("libcuda.so.1", why, StringComparison.Ordinal);
        foreach (var device in new[] { "cuda", "cuda:1", "CUDA:0" })
        {
            var (code, text, errors) = Capture("train", "--model", "mlp", "--epochs", "1", "--data-dir", Data, "--output", Run, "--threads", "1", "--device", device, "--tf32");
            Assert.True(code == 1, text + errors);
            string line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal($"error: --device {DeviceOptions.Canonical(device)}: {why}", line);
            Assert.Contains("Searched: ", line, StringComparison.Ordinal);
            Assert.DoesNotContain(" at Axon.", errors, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Run), "a run that cannot start leaves no directory");
        }
        // The commands that run a saved model fail the same way, before reading it.
        foreach (var command in new[] { new[] { "eval", "model.safetensors" }, ["predict", "model.safetensors", "a.png"], ["generate", "model.safetensors"], ["lm", "sample"] })
        {
            var (code, _, errors) = Capture([.. command, "--device", "cuda"]);
            Assert.Equal(1, code);
            Assert.Equal($"error: --device cuda:0: {why}", errors.Trim());
        }
    }

    [Fact]
    public void RunJsonRecordsTheDeviceOnlyOffTheCpuAndResumeKeepsIt()
    {
        Assert.Equal(0, Invoke("train", "--model", "mlp", "--epochs", "1", "--data-dir", Data, "--output", Run, "--threads", "1", "--device", "cpu"));
        string json = File.ReadAllText(Path.Combine(Run, RunSettings.FileName));
        Assert.DoesNotContain("device", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("tf32", json, StringComparison.OrdinalIgnoreCase);

        // A run recorded on a GPU resumes there (here: the error of the missing driver), unless --device moves it.
        new RunSettings(0, Path.GetFullPath(Data), 1) { Device = "cuda:0", Tf32 = true }.Write(Run);
        Assert.Contains("\"device\": \"cuda:0\"", File.ReadAllText(Path.Combine(Run, RunSettings.FileName)), StringComparison.Ordinal);
        if (!CudaBackend.IsAvailable(out string why))
        {
            var (code, _, errors) = Capture("train", "--epochs", "2", "--resume", "--output", Run);
            Assert.Equal(1, code);
            Assert.Equal($"error: --device cuda:0: {why}", errors.Trim());
        }
        var (ok, text, _) = Capture("train", "--epochs", "2", "--resume", "--output", Run, "--device", "cpu");
        Assert.True(ok == 0, text);
        Assert.Contains("--device cpu overrides the saved cuda:0", text, StringComparison.Ordinal);
        var saved = RunSettings.Read(Run)!;
        Assert.Equal(("cpu", null), (saved.DeviceName, saved.Tf32));
        Assert.DoesNotContain("device", File.ReadAllText(Path.Combine(Run, RunSettings.FileName)), StringComparison.OrdinalIgnoreCase);
        // --tf32 on a resumed CPU run is the same error as on a new one.
        var (bad, _, error) = Capture("train", "--epochs", "3", "--resume", "--output", Run, "--tf32");
        Assert.Equal(1, bad);
        Assert.Contains("--tf32 lets a CUDA device", error, StringComparison.Ordinal);
    }

    /// <summary>
    /// A CPU training run, in a child process with the dynamic loader's log on (LD_DEBUG=libs), never asks the loader for
    /// a CUDA library; the same command with --device cuda does (the control that shows the log would see it).
    /// </summary>
    [Fact]
    public void CpuRunLoadsNoCudaLibrary()
    {
        if (!OperatingSystem.IsLinux()) return;
        string[] train = ["train", "--model", "mlp", "--epochs", "1", "--data-dir", Data, "--threads", "1"];
        var (code, log) = RunChild([.. train, "--output", Run]);
        Assert.True(code == 0, log[^Math.Min(log.Length, 2000)..]);
        Assert.Contains("find library=", log, StringComparison.Ordinal);   // the log is on
        foreach (var name in CudaLibraryNames) Assert.DoesNotContain(name, log, StringComparison.Ordinal);

        (code, log) = RunChild([.. train, "--output", Path.Combine(dir.FullName, "gpu"), "--device", "cuda"]);
        Assert.Contains("libcuda", log, StringComparison.Ordinal);
    }

    private static (int Code, string Log) RunChild(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Axon.Cli.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["LD_DEBUG"] = "libs";
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        string errors = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120))) process.Kill(entireProcessTree: true);
        return (process.ExitCode, output.Result + errors);
    }
}
