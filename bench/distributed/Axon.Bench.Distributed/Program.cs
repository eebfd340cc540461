using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Axon;
using Axon.Backends;
using Axon.Distributed;
using Axon.Models;
using Axon.Nn;
using Axon.Optim;

// Workloads (one JSON line on stdout, from rank 0):
//   train      --model M --batch B (global) --threads T --min-seconds S [--timeline FILE]
//              The end-to-end harness's training step (synthetic N(0,1) images [B/N,1,28,28] and uniform labels, a
//              different fixed batch per rank; SGD momentum 0.9, lr 0.01), data-parallel when started by mpirun (N ranks,
//              DistributedDataParallel with its default 25 MiB buckets), else one process. Warm-up: 20 steps and 1 s; then
//              enough steps for S seconds (rank 0 times the warm-up and tells the others, so all run the same number).
//              Reports global img/s and per step: forward, backward, the wait for the gradients, the optimiser step, the
//              all-reduce time on the communication thread and how much of it overlapped the backward pass.
//   allreduce  --mib M --min-seconds S: the deterministic all-reduce (average) of M MiB of floats, repeated; mean ms
//              and the algorithm bandwidth (bytes per rank / time) and bus bandwidth (x 2 (N-1)/N, the bytes each rank sends).
var o = Args.Parse(args);
ProcessGroup? group = MpiProcessGroup.LaunchedByMpirun ? MpiProcessGroup.Start() : null;
try
{
    var result = o.Workload switch
    {
        "train" => Train(o, group),
        "allreduce" => AllReduce(o, group ?? throw new ArgumentException("allreduce needs mpirun")),
        _ => throw new ArgumentException($"unknown workload {o.Workload}"),
    };
    if (group is null || group.IsPrimary) Console.WriteLine(JsonSerializer.Serialize(result));
}
catch (Exception e) when (group is not null)
{
    Console.Error.WriteLine($"error: rank {group.Rank}: {e}");
    group.Abort(1);
}
group?.Dispose();
return 0;

static Dictionary<string, object?> Train(Args o, ProcessGroup? group)
{
    string name = o.Str("model", "lecture-cnn");
    int ranks = group?.Size ?? 1, rank = group?.Rank ?? 0, threads = o.Int("threads", 1);
    int global = o.Int("batch", 64), batch = global / ranks;
    var device = Device.CpuWith(new CpuOptions { Threads = threads });
    var g = new Generator(0);
    var model = ModelZoo.Create(name, 10, g);
    model.To(device);
    model.Train();
    using var ddp = group is null ? null : new DistributedDataParallel(model, group);
    var opt = new Sgd(model.Parameters(), lr: 0.01, momentum: 0.9);
    var data = new Generator(100 + rank);
    var x = Tensor.Randn([batch, 1, 28, 28], data, device: device);
    var y = Tensor.Randint(0, 10, [batch], data, device: device);
    double forward = 0, backward = 0, wait = 0, step = 0, reduce = 0, overlapped = 0;
    long backwardStartedAt = 0;
    void Step(bool timed)
    {
        using var scope = new TensorScope();
        long t0 = Stopwatch.GetTimestamp();
        opt.ZeroGrad(setToNone: false);
        var loss = Functional.CrossEntropy(model.Forward(x), y);
        long t1 = Stopwatch.GetTimestamp();
        loss.Backward();
        long t2 = Stopwatch.GetTimestamp();
        ddp?.WaitForGradients();
        long t3 = Stopwatch.GetTimestamp();
        opt.Step();
        long t4 = Stopwatch.GetTimestamp();
        backwardStartedAt = t1;
        if (!timed) return;
        forward += Stopwatch.GetElapsedTime(t0, t1).TotalSeconds;
        backward += Stopwatch.GetElapsedTime(t1, t2).TotalSeconds;
        wait += Stopwatch.GetElapsedTime(t2, t3).TotalSeconds;
        step += Stopwatch.GetElapsedTime(t3, t4).TotalSeconds;
        if (ddp?.LastStep is { } s)
        {
            reduce += s.ReduceSeconds;
            overlapped += s.OverlappedSeconds;
        }
    }
    var warm = Stopwatch.StartNew();
    var late = new Stopwatch();   // the warm-up after its first 10 steps (the first ones compile the code)
    int warmSteps = 0;
    // Every step is a collective, so every rank must run as many: rank 0's clock decides when the warm-up ends.
    for (; warmSteps < 20 || RankZeroSays(group, warm.Elapsed.TotalSeconds < 1); warmSteps++)
    {
        if (warmSteps == 10) late.Start();
        Step(false);
    }
    // Rank 0's warm-up rate decides how many steps fill the window; every rank must run as many (each is a collective).
    var planned = new[] { (int)Math.Ceiling(o.Double("min-seconds", 3) / (late.Elapsed.TotalSeconds / (warmSteps - 10))) };
    group?.Broadcast(planned);
    group?.Barrier();
    var clock = Stopwatch.StartNew();
    for (int i = 0; i < planned[0]; i++) Step(true);
    double seconds = clock.Elapsed.TotalSeconds;
    int n = planned[0];
    string? timeline = o.Str("timeline", "");
    if (ddp?.LastStep is { } last && timeline.Length > 0 && group!.IsPrimary)
        File.WriteAllText(timeline, $"{name}, {ranks} ranks x {threads} thread(s), batch {batch} per rank, the last timed step of rank 0; times from the start of its backward pass\n" + last.Render(backwardStartedAt, 72));
    double Ms(double total) => Math.Round(1000 * total / n, 3);
    return new Dictionary<string, object?>
    {
        ["workload"] = "train",
        ["model"] = name,
        ["ranks"] = ranks,
        ["threads_per_rank"] = threads,
        ["global_batch"] = global,
        ["params"] = model.ParameterCount(),
        ["gradient_mib"] = ddp is null ? model.ParameterCount(trainableOnly: true) * 4 / 1048576.0 : ddp.GradientBytes / 1048576.0,
        ["buckets"] = ddp?.Buckets.Count ?? 0,
        ["steps"] = n,
        ["seconds"] = Math.Round(seconds, 3),
        ["img_per_s"] = Math.Round(n * (double)global / seconds, 1),
        ["step_ms"] = Ms(seconds),
        ["forward_ms"] = Ms(forward),
        ["backward_ms"] = Ms(backward),
        ["wait_ms"] = Ms(wait),
        ["optimizer_ms"] = Ms(step),
        ["allreduce_ms"] = Ms(reduce),
        ["overlapped_ms"] = Ms(overlapped),
        ["mpi"] = group?.Description,
        ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
    };
}

static Dictionary<string, object?> AllReduce(Args o, ProcessGroup group)
{
    double mib = o.Double("mib", 1);
    var buffer = new float[(int)(mib * 1048576 / 4)];
    for (int i = 0; i < buffer.Length; i++) buffer[i] = i % 7;
    var warm = Stopwatch.StartNew();
    int warmRuns = 0;
    for (; warmRuns < 5 || RankZeroSays(group, warm.Elapsed.TotalSeconds < 0.5); warmRuns++) group.AllReduce(buffer, ReduceOp.Average);
    var planned = new[] { Math.Max(5, (int)Math.Ceiling(o.Double("min-seconds", 1) / (warm.Elapsed.TotalSeconds / warmRuns))) };
    group.Broadcast(planned);
    group.Barrier();
    var clock = Stopwatch.StartNew();
    for (int i = 0; i < planned[0]; i++) group.AllReduce(buffer, ReduceOp.Average);
    double seconds = clock.Elapsed.TotalSeconds / planned[0];
    double bytes = buffer.Length * 4.0;
    return new Dictionary<string, object?>
    {
        ["workload"] = "allreduce",
        ["ranks"] = group.Size,
        ["mib"] = mib,
        ["runs"] = planned[0],
        ["ms"] = Math.Round(1000 * seconds, 3),
        ["algorithm_gb_per_s"] = Math.Round(bytes / seconds / 1e9, 3),
        ["bus_gb_per_s"] = Math.Round(bytes * 2 * (group.Size - 1) / group.Size / seconds / 1e9, 3),
        ["mpi"] = group.Description,
    };
}

// Rank 0's decision on every rank (a decision that changes how many collectives follow must be the same everywhere).
static bool RankZeroSays(ProcessGroup? group, bool mine)
{
    if (group is null) return mine;
    var flag = new[] { mine ? 1 : 0 };
    group.Broadcast(flag);
    return flag[0] == 1;
}

/// <summary>A workload name, then --key value pairs.</summary>
internal sealed class Args
{
    private readonly Dictionary<string, string> values = new(StringComparer.Ordinal);

    public string Workload { get; private init; } = "";

    public static Args Parse(string[] args)
    {
        if (args.Length == 0) throw new ArgumentException("usage: Axon.Bench.Distributed <train|allreduce> [--key value ...]");
        var a = new Args { Workload = args[0] };
        for (int i = 1; i + 1 < args.Length; i += 2) a.values[args[i].TrimStart('-')] = args[i + 1];
        return a;
    }

    public string Str(string key, string fallback) => values.GetValueOrDefault(key, fallback);

    public int Int(string key, int fallback) => values.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public double Double(string key, double fallback) => values.TryGetValue(key, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
