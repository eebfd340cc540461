using System.Globalization;
using Axon;
using Axon.Backends;
using Axon.Distributed;
using Axon.IO;
using Axon.Nn;
using Axon.Optim;

// One rank of the MPI loopback tests (tests/Axon.Distributed.Tests/MpiLoopbackTests.cs starts it with mpirun):
//   parity DIR    five data-parallel steps of a small CNN with synchronised batch norm; each rank writes DIR/rank<r>.safetensors
//                 and rank 0 also DIR/single.safetensors, the same five steps in one process on the whole batch
//   die           rank 1 exits abruptly at step 3 (a crash): mpirun must end the job
//   hang          rank 1 stops calling collectives at step 2: rank 0 must time out (3 s) and abort the job
//   mismatch      rank 1 builds another model: every rank must refuse to start
// Any failure prints "error: rank R of N: ..." and aborts the whole job, as axon train --distributed does.
string scenario = args.Length > 0 ? args[0] : "parity";
var timeout = scenario == "hang" ? TimeSpan.FromSeconds(3) : (TimeSpan?)null;
var group = MpiProcessGroup.Start(timeout);
try
{
    Run(scenario, args.Length > 1 ? args[1] : ".", group);
}
catch (Exception e)
{
    string where = $"rank {group.Rank} of {group.Size}";
    Console.Error.WriteLine($"error: {(e.Message.StartsWith(where, StringComparison.Ordinal) ? "" : where + ": ")}{e.Message}");
    Console.Error.Flush();
    group.Abort(1);
}
group.Dispose();
return 0;

static void Run(string scenario, string dir, ProcessGroup group)
{
    var device = Device.CpuWith(new CpuOptions { Threads = 1 });
    var data = new Generator(11);
    var x = Tensor.Randn([16, 2, 6, 6], data).To(device);
    var y = Tensor.FromArray(Enumerable.Range(0, 16).Select(i => data.NextInt64(3)).ToArray(), 16).To(device);

    var model = Cnn(1 + group.Rank, wide: scenario == "mismatch" && group.Rank == 1);
    model.To(device);
    SyncBatchNorm.Convert(model, group);
    // Small buckets, so that the five steps reduce several buckets while the backward pass runs.
    using var ddp = new DistributedDataParallel(model, group, new DistributedDataParallelOptions { FirstBucketCapMiB = 0.0005, BucketCapMiB = 0.001 });
    var sgd = new Sgd(model.Parameters(), lr: 0.1, momentum: 0.9);
    int share = 16 / group.Size;
    for (int step = 1; step <= 5; step++)
    {
        if (scenario == "die" && group.Rank == 1 && step == 3) Environment.Exit(3);
        if (scenario == "hang" && group.Rank == 1 && step == 2) Thread.Sleep(TimeSpan.FromSeconds(60));
        using var scope = new TensorScope();
        sgd.ZeroGrad();
        Functional.CrossEntropy(model.Forward(x.Narrow(0, share * group.Rank, share)), y.Narrow(0, share * group.Rank, share)).Backward();
        ddp.WaitForGradients();
        sgd.Step();
    }
    string digest = ddp.VerifyReplicas();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{group.Description}: 5 steps, {ddp.Buckets.Count} buckets, digest {digest}"));
    model.Save(Path.Combine(dir, $"rank{group.Rank}.safetensors"));
    if (!group.IsPrimary) return;

    // The reference: one process, the whole batch, plain batch norm, the initial weights of rank 0.
    var single = Cnn(1, wide: false);
    single.To(device);
    var reference = new Sgd(single.Parameters(), lr: 0.1, momentum: 0.9);
    for (int step = 1; step <= 5; step++)
    {
        using var scope = new TensorScope();
        reference.ZeroGrad();
        Functional.CrossEntropy(single.Forward(x), y).Backward();
        reference.Step();
    }
    single.Save(Path.Combine(dir, "single.safetensors"));
}

static Sequential Cnn(long seed, bool wide)
{
    var g = new Generator(seed);
    int c = wide ? 5 : 4;
    return new Sequential(new Conv2d(2, c, 3, padding: 1, generator: g), new BatchNorm2d(c), new ReLU(), new Flatten(), new Linear(c * 36, 3, generator: g));
}
