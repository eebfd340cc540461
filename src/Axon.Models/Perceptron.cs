namespace Axon.Models;

/// <summary>One epoch of the perceptron algorithm: how many updates it made and the error rates after it.</summary>
/// <param name="Epoch">Epoch index, from 0.</param>
/// <param name="Changes">Number of weight updates (misclassified samples) during the epoch.</param>
/// <param name="TrainError">Training error rate after the epoch.</param>
/// <param name="TestError">Test error rate after the epoch (NaN without a test set).</param>
public sealed record PerceptronEpoch(int Epoch, int Changes, double TrainError, double TestError);

/// <summary>
/// Rosenblatt's perceptron trained with the perceptron algorithm exactly as the lecture writes it:
/// start at w = 0; for each sample in order, if y_n (w . x_n) &lt;= 0 then w = w + y_n x_n; stop after an
/// epoch without change or after the maximum number of epochs. Labels are in {-1, +1}. The bias is
/// the weight of a constant input 1 appended to every x. When the data are separable with margin
/// gamma (y_n (x_n . w*) &gt;= gamma/2 with |w*| = 1) inside a ball of radius R, the number of updates is
/// at most 4 R^2 / gamma^2.
/// </summary>
public sealed class Perceptron
{
    /// <summary>Weights [D + 1]; the last one is the bias.</summary>
    public double[] Weights { get; private set; } = [];

    /// <summary>Total number of updates made by <see cref="Fit"/>.</summary>
    public int TotalUpdates { get; private set; }

    /// <summary>True when the last <see cref="Fit"/> ended with an epoch without change (all training samples correct).</summary>
    public bool Converged { get; private set; }

    private static double[][] Augment(Tensor x)
    {
        if (x.Rank != 2) throw new ArgumentException($"Perceptron: expected inputs [N, D], got [{string.Join(", ", x.GetShape())}].", nameof(x));
        int n = x.Size(0), d = x.Size(1);
        var flat = x.ToDoubleArray();
        var rows = new double[n][];
        for (int i = 0; i < n; i++)
        {
            rows[i] = new double[d + 1];
            Array.Copy(flat, i * d, rows[i], 0, d);
            rows[i][d] = 1.0;
        }
        return rows;
    }

    private static double[] Labels(Tensor y, int n)
    {
        var labels = y.ToDoubleArray();
        if (labels.Length != n) throw new ArgumentException($"Perceptron: {n} samples but {labels.Length} labels.", nameof(y));
        foreach (double v in labels)
            if (v != 1 && v != -1) throw new ArgumentException($"Perceptron: labels must be -1 or +1, got {v}.", nameof(y));
        return labels;
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>Runs the algorithm; calls <paramref name="onEpoch"/> after each epoch. Returns the per-epoch history.</summary>
    public IReadOnlyList<PerceptronEpoch> Fit(Tensor x, Tensor y, int maxEpochs = 100, Tensor? testX = null, Tensor? testY = null, Action<PerceptronEpoch>? onEpoch = null)
    {
        if (maxEpochs < 1) throw new ArgumentOutOfRangeException(nameof(maxEpochs), maxEpochs, "Perceptron: maxEpochs must be at least 1.");
        var xs = Augment(x);
        var ys = Labels(y, xs.Length);
        var w = new double[x.Size(1) + 1];
        var history = new List<PerceptronEpoch>();
        TotalUpdates = 0;
        Converged = false;
        for (int e = 0; e < maxEpochs; e++)
        {
            int changes = 0;
            for (int i = 0; i < xs.Length; i++)
            {
                if (ys[i] * Dot(w, xs[i]) <= 0)
                {
                    for (int j = 0; j < w.Length; j++) w[j] += ys[i] * xs[i][j];
                    changes++;
                }
            }
            TotalUpdates += changes;
            Weights = (double[])w.Clone();
            var record = new PerceptronEpoch(e, changes, ErrorRate(x, y), testX is null || testY is null ? double.NaN : ErrorRate(testX, testY));
            history.Add(record);
            onEpoch?.Invoke(record);
            if (changes == 0) { Converged = true; break; }
        }
        return history;
    }

    /// <summary>Predictions in {-1, +1} (sign of w . x with sign(0) = +1, matching the step f(x) = 1 if w.x + b &gt;= 0).</summary>
    public Tensor Predict(Tensor x)
    {
        var xs = Augment(x);
        return Tensor.FromArray(xs.Select(r => Dot(Weights, r) >= 0 ? 1.0 : -1.0).ToArray()).To(DType.Float32);
    }

    /// <summary>Fraction of samples with y_n (w . x_n) &lt;= 0 (the algorithm's own notion of a mistake).</summary>
    public double ErrorRate(Tensor x, Tensor y)
    {
        var xs = Augment(x);
        var ys = Labels(y, xs.Length);
        int wrong = 0;
        for (int i = 0; i < xs.Length; i++) if (ys[i] * Dot(Weights, xs[i]) <= 0) wrong++;
        return xs.Length == 0 ? 0 : (double)wrong / xs.Length;
    }
}
