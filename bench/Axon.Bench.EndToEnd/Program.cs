using System.Text.Json;
using Axon;
using Axon.Benchmarks;

// One workload per process; one JSON line on stdout. bench/pytorch/baseline.py does the same work in PyTorch with
// the same arguments and prints the same fields; bench/compare.sh runs the two interleaved. Definitions shared by
// both (keep them identical):
//   train            synthetic N(0,1) inputs [B,1,28,28] and uniform labels 0..9, one fixed batch; SGD momentum 0.9,
//                    lr 0.01; zero_grad (grads kept, zeroed), forward, cross-entropy, backward, step. Warm-up: at least
//                    --warmup steps (20) and at least --warmup-seconds (1 s); then timed steps until both --steps (200)
//                    and --min-seconds (0) have passed, so a window is never shorter than --min-seconds; img/s = steps
//                    actually run * B / seconds. Models: mlp, lecture-cnn, lenet5, vgg-small, resnet-small, resnet18,
//                    densenet121-small (baseline.py's make_model has their twins, parameter for parameter).
//   infer-latency    eval mode, no grad, one image [1,1,28,28]; warm-up as above; each of --iters forward passes timed
//                    on its own; median, p99 (nearest rank) and mean in microseconds.
//   infer-batch      eval mode, no grad, [B,1,28,28]; warm-up as above; --iters timed passes; img/s.
//   epoch            one epoch of real Fashion-MNIST training (batch 64, shuffled, last batch of 32 kept, pixels kept as
//                    bytes and normalised per batch); GC counts from the end of step --warmup to the end of the epoch;
//                    peak RSS = VmHWM at the end.
//   time-to-accuracy the same training with the test set evaluated (1000-image batches, eval mode, no grad) after every
//                    --eval-every steps (469 = half an epoch); seconds from the first step to the first evaluation at or
//                    above --target, evaluations included, file loading excluded; gives up after --max-epochs.
//   gemm             C = A B, square float32 N, row-major; warm-up as above, then timed calls until >= 1 s and >= 5
//                    calls; median GFLOP/s = 2 N^3 / median call time.
//   profile          a training step (as train) cut at every layer: each layer's input is a detached leaf (unless no
//                    gradient flows there: the data, or a Flatten of it), so forward and backward can be timed layer by layer with Backward(grad);
//                    a ResNet is cut at conv1, bn1, a ReLU, each BasicBlock, avgpool, Flatten, fc (phase keys "{i} {type}");
//                    mean milliseconds per step of each phase over --steps steps (default 50) after the warm-up.
//   profile-infer    an inference pass (as infer-latency, --batch 1 by default) run layer by layer: mean microseconds of
//                    each layer over --iters passes, and the median of the whole model's pass (where Sequential fuses a
//                    ReLU followed by MaxPool2d, which the layer-by-layer run does not).
//   rnn-train        an image read as 28 rows of 28 (synthetic N(0,1) [B,28,28], uniform labels): an LSTM or GRU (--cell,
//                    --hidden 128, batch-first), its last step's output to Linear(hidden, 10); SGD as train; steps until
//                    both --steps (20) and --min-seconds (1 s) have passed after the warm-up; img/s.
//   rnn-latency      that model in eval mode, no grad, one sequence [1,28,28]; timed as infer-latency.
//   charlm-train     a character-level language model step: uniform tokens [B=64, T=100] of 80 symbols, Embedding(80, 64),
//                    a 2-layer LSTM of 256 (batch-first), Linear(256, 80) on every step, cross-entropy against uniform
//                    targets; SGD as train; timed as rnn-train; img/s counts characters.
//   hog              HOG descriptors of all 70,000 Fashion-MNIST images (--cell 4, --block 2, --orientations 9); median
//                    wall seconds of --reps passes, their process CPU seconds, img/s (no PyTorch twin).
//   peak             the FMA peak of --threads cores (float), as the GEMM micro-benchmarks measure it.
var opts = Options.Parse(args);
int threads = opts.Int("threads", 2);
var device = Device.CpuWith(new Axon.Backends.CpuOptions
{
    Threads = threads,
    ConvDirectEverywhere = opts.Int("conv-direct", 0) == 1,
    ConvFlatKernel = opts.Int("conv-flat", 1) == 1,
    ConvFlatStrided = opts.Int("conv-flat-s2", 1) == 1,
    ConvWinograd = opts.Int("winograd", 1) == 1,
    ConvPoolFusion = opts.Int("conv-pool", 1) == 1,
    ConvImplicitGemm = opts.Int("conv-gemm", 1) == 1,
    ConvChannelsLast = opts.Int("conv-nhwc", 1) == 1,
    ConvImplicitWeightGrad = opts.Int("conv-wgrad", 1) == 1
});
Workloads.Device = device;
var result = new Dictionary<string, object?>
{
    ["impl"] = "axon",
    ["workload"] = opts.Workload,
    ["threads"] = threads,
};

switch (opts.Workload)
{
    case "train": Workloads.Train(opts, result); break;
    case "infer-latency": Workloads.InferLatency(opts, result); break;
    case "infer-batch": Workloads.InferBatch(opts, result); break;
    case "epoch": Workloads.Epoch(opts, result); break;
    case "profile-infer": Workloads.ProfileInfer(opts, result); break;
    case "time-to-accuracy": Workloads.TimeToAccuracy(opts, result); break;
    case "gemm": Workloads.GemmRun(opts, result); break;
    case "profile": Workloads.Profile(opts, result); break;
    case "profile-gan": Workloads.ProfileGan(opts, result); break;
    case "micro-backward": Workloads.MicroBackward(opts, result); break;
    case "generative-steps": Workloads.GenerativeSteps(opts, result); break;
    case "rnn-train": Workloads.RnnTrain(opts, result); break;
    case "rnn-latency": Workloads.RnnLatency(opts, result); break;
    case "charlm-train": Workloads.CharLmTrain(opts, result); break;
    case "hog": Workloads.HogRun(opts, result, threads); break;
    case "conv-layers": Workloads.ConvLayers(opts, result); break;
    case "peak": result["gflops"] = PeakFlops.Measure(isDouble: false, threads); break;
    default:
        Console.Error.WriteLine($"unknown workload '{opts.Workload}'; expected train, infer-latency, infer-batch, epoch, time-to-accuracy, gemm, profile, profile-infer, rnn-train, rnn-latency, charlm-train or peak");
        return 2;
}

result["peak_rss_mib"] = Proc.PeakRssMiB();
result["gc_total"] = new[] { GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2) };
Console.WriteLine(JsonSerializer.Serialize(result));
return 0;
