using System.Diagnostics;
using Axon;
using Axon.Data;

// The HOG workload (hog): the feature extraction of axon shallow.
internal static partial class Workloads
{
    /// <summary>
    /// HOG descriptors of all 70,000 Fashion-MNIST images (pixels in [0, 1]) with --cell (4), --block (2) and
    /// --orientations (9) on the run's threads: after one warm-up pass over the test set, --reps (3) timed passes;
    /// the median wall seconds and the process CPU seconds of each pass, and images per second.
    /// </summary>
    public static void HogRun(Options o, Dictionary<string, object?> r, int threads)
    {
        string dir = o.Str("data-dir", FashionMnist.DefaultDirectory);
        var train = FashionMnist.Load(dir, train: true, mean: 0, std: 1);
        var test = FashionMnist.Load(dir, train: false, mean: 0, std: 1);
        var x = train.GetBatch(Enumerable.Range(0, train.Count).ToArray()).Input;
        var xt = test.GetBatch(Enumerable.Range(0, test.Count).ToArray()).Input;
        var options = new HogOptions { CellSize = o.Int("cell", 4), BlockSize = o.Int("block", 2), Orientations = o.Int("orientations", 9) };
        Hog.Compute(xt, options, threads).Dispose();
        int reps = o.Int("reps", 3);
        var wall = new double[reps];
        var cpu = new double[reps];
        var process = Process.GetCurrentProcess();
        for (int i = 0; i < reps; i++)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            long t = Stopwatch.GetTimestamp();
            Hog.Compute(x, options, threads).Dispose();
            Hog.Compute(xt, options, threads).Dispose();
            wall[i] = Stopwatch.GetElapsedTime(t).TotalSeconds;
            process.Refresh();
            cpu[i] = (process.TotalProcessorTime - cpu0).TotalSeconds;
        }
        double median = Stats.Percentile(wall, 50);
        r["hog"] = options.ToString();
        r["features"] = options.FeatureLength(28, 28);
        r["images"] = train.Count + test.Count;
        r["median_s"] = median;
        r["cpu_s"] = cpu;
        r["img_per_s"] = (train.Count + test.Count) / median;
    }
}
