using System.Numerics.Tensors;

namespace Axon.Data;

/// <summary>
/// Standardises feature vectors with statistics of a training set, as scikit-learn's <c>StandardScaler</c>: each feature
/// j becomes (x_j − mean_j) / std_j, with the mean and the (population, N-denominator) standard deviation of the
/// training rows; a constant feature (std 0, e.g. a HOG bin no training image uses) is only centred. Fit it on the
/// training features only, then transform both the training and the test features, so that nothing of the test set
/// leaks into the model. Shape: [N, D] -> [N, D], float32; the statistics are summed in double.
/// </summary>
public sealed class FeatureStandardizer
{
    /// <summary>Rows summed in float32 before their sums join the double totals.</summary>
    private const int Chunk = 32;

    private readonly float[] mean;
    private readonly float[] scale;   // 1 / std, or 1 for a constant feature

    private FeatureStandardizer(float[] mean, float[] std)
    {
        this.mean = mean;
        Std = std;
        scale = [.. std.Select(s => s > 0 ? 1 / s : 1f)];
    }

    /// <summary>The number of features D.</summary>
    public int Features => mean.Length;

    /// <summary>The training mean of each feature.</summary>
    public IReadOnlyList<float> Mean => mean;

    /// <summary>The training standard deviation of each feature (0 for a constant one).</summary>
    public IReadOnlyList<float> Std { get; }

    /// <summary>The mean and standard deviation of each column of <paramref name="features"/> [N, D] (float32, N ≥ 1).</summary>
    /// <exception cref="ArgumentException">The tensor is not a float32 matrix with at least one row, or holds a non-finite value.</exception>
    public static FeatureStandardizer Fit(Tensor features)
    {
        var (n, d) = Check(features, "Fit", 0);
        if (n == 0) throw new ArgumentException("FeatureStandardizer.Fit: the features have no rows; the statistics need at least one.", nameof(features));
        var x = features.To(Device.Cpu).ContiguousData().AsSpan<float>();
        var sum = new double[d];
        var chunk = new float[d];
        // Rows are added in float32 vectors, Chunk at a time, and each chunk's sums folded into double: fast, and the
        // rounding of a few dozen float additions is far below what standardising needs.
        for (int i = 0; i < n; i += Chunk)
        {
            Array.Clear(chunk);
            for (int k = i; k < Math.Min(n, i + Chunk); k++) TensorPrimitives.Add(chunk, x.Slice(k * d, d), chunk);
            for (int j = 0; j < d; j++) sum[j] += chunk[j];
        }
        for (int j = 0; j < d; j++)
            if (!double.IsFinite(sum[j])) throw new ArgumentException($"FeatureStandardizer.Fit: feature {j} has a non-finite value.", nameof(features));
        var mu = sum.Select(s => s / n).ToArray();
        var muFloat = mu.Select(m => (float)m).ToArray();
        // Two passes: the squared deviations from the mean, which lose no precision to cancellation.
        var squares = new double[d];
        var deviation = new float[d];
        for (int i = 0; i < n; i += Chunk)
        {
            Array.Clear(chunk);
            for (int k = i; k < Math.Min(n, i + Chunk); k++)
            {
                TensorPrimitives.Subtract(x.Slice(k * d, d), muFloat, deviation);
                TensorPrimitives.MultiplyAdd(deviation, deviation, chunk, chunk);
            }
            for (int j = 0; j < d; j++) squares[j] += chunk[j];
        }
        return new FeatureStandardizer(muFloat, [.. squares.Select(s => (float)Math.Sqrt(s / n))]);
    }

    /// <summary>(x − mean) / std for every row of <paramref name="features"/> [N, D], as a new float32 tensor.</summary>
    /// <exception cref="ArgumentException">The features are not a float32 [N, D] matrix with the fitted D.</exception>
    public Tensor Transform(Tensor features)
    {
        var (n, d) = Check(features, "Transform", Features);
        var x = features.To(Device.Cpu).ContiguousData().AsSpan<float>();
        var result = Tensor.Empty([n, d], DType.Float32);
        var y = result.AsSpan<float>();
        for (int i = 0; i < n; i++)
        {
            var src = x.Slice(i * d, d);
            var dst = y.Slice(i * d, d);
            TensorPrimitives.Subtract(src, mean, dst);
            TensorPrimitives.Multiply(dst, scale, dst);
        }
        return result;
    }

    private static (int N, int D) Check(Tensor features, string who, int expected)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Rank != 2 || features.DType != DType.Float32)
            throw new ArgumentException($"FeatureStandardizer.{who}: expected float32 features [N, D], got {features.DType.TorchName()} [{string.Join(", ", features.GetShape())}].", nameof(features));
        int d = features.Size(1);
        if (expected > 0 && d != expected)
            throw new ArgumentException($"FeatureStandardizer.{who}: it was fitted on {expected} features, got [{features.Size(0)}, {d}].", nameof(features));
        return (features.Size(0), d);
    }
}
