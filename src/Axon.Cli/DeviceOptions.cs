using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Axon.Cli;

/// <summary>
/// The <c>--device</c> and <c>--tf32</c> options of the commands that run a model, and the device they name. The CPU is
/// the default; <c>cuda</c> and <c>cuda:N</c> open the CUDA backend (<see cref="CudaDevices"/>), which is the only place
/// the command line touches Axon.Cuda, so a CPU run never looks for a CUDA library.
/// </summary>
internal sealed class DeviceOptions
{
    /// <summary>The canonical name of the default device.</summary>
    public const string Cpu = "cpu";

    private const string Tf32Rule = "--tf32 lets a CUDA device multiply float32 matrices on its TF32 tensor cores; the CPU always computes in full float32, so it needs --device cuda or cuda:N";

    public DeviceOptions()
    {
        Device.Require(v => Canonical(v) is not null, "must be cpu, cuda or cuda:N, N the number of a GPU (0, 1, ...)");
    }

    public Option<string> Device { get; } = new("--device")
    {
        Description = "Where the model runs: cpu, or an NVIDIA GPU, cuda (the first) or cuda:N. The GPU needs NVIDIA's driver, the CUDA toolkit and cuDNN 9; " +
            "today only matrix products and convolutions have CUDA kernels, so training and inference there stop at the first other op with an error naming it.",
        DefaultValueFactory = _ => Cpu,
        HelpName = "cpu|cuda|cuda:N",
    };

    public Option<bool> Tf32 { get; } = new("--tf32") { Description = "With --device cuda: let float32 matrix products and convolutions use TF32 tensor cores (faster, about 3 significant digits; PyTorch's allow_tf32). Off by default." };

    /// <summary>Both options, to add to a command.</summary>
    public IEnumerable<Option> All => [Device, Tf32];

    /// <summary>
    /// Adds the parse-time check that --tf32 comes with a CUDA --device. <paramref name="fromRun"/> says when the device may
    /// instead come from a saved run (train --resume), where <see cref="Open(string?, bool, int)"/> checks it.
    /// </summary>
    public void Check(CommandResult r, bool fromRun = false)
    {
        if (r.ValueOr(Tf32, false) && !fromRun && Canonical(r.ValueOr(Device, Cpu)) == Cpu) r.AddError(Tf32Rule);
    }

    /// <summary>"cpu" or "cuda:N" for the names the option takes (any case, "cuda" for cuda:0), or null for anything else.</summary>
    public static string? Canonical(string? name)
    {
        string s = (name ?? "").Trim().ToLowerInvariant();
        if (s == Cpu) return Cpu;
        if (s == "cuda") return "cuda:0";
        return s.StartsWith("cuda:", StringComparison.Ordinal) && s.Length is > 5 and <= 8 &&
            int.TryParse(s.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int i) ? $"cuda:{i}" : null;
    }

    /// <summary>The device the user typed, with --tf32 and, on the CPU, <paramref name="threads"/> kernel threads.</summary>
    public Axon.Device Open(ParseResult p, int threads) => Open(p.GetValue(Device), p.GetValue(Tf32), threads);

    /// <summary>
    /// The device <paramref name="name"/> ("cpu", "cuda", "cuda:N"). A CUDA device that cannot be opened (no driver, no
    /// GPU, no such index) is an <see cref="InvalidOperationException"/> whose one-line message names what is missing and
    /// where it was looked for.
    /// </summary>
    public static Axon.Device Open(string? name, bool tf32, int threads)
    {
        string canonical = Canonical(name) ?? throw new ArgumentException($"--device must be cpu, cuda or cuda:N, N the number of a GPU (got '{name}').");
        if (canonical == Cpu)
        {
            if (tf32) throw new ArgumentException(Tf32Rule + ".");
            return Axon.Device.CpuWith(new Axon.Backends.CpuOptions { Threads = threads });
        }
        return CudaDevices.Open(int.Parse(canonical.AsSpan(5), CultureInfo.InvariantCulture), tf32);
    }

    /// <summary>" on cuda:0 (NVIDIA H200, TF32)" for a GPU, "" for the CPU: the part of a run's first line that says where it runs.</summary>
    public static string Describe(Axon.Device device) => device.IsHost ? "" : $" on {device.Description}";
}
