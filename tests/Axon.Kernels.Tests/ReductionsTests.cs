using System.Numerics;
using Axon.Kernels;

namespace Axon.Kernels.Tests;

public class ReductionsTests
{
    private static T Eps<T>() where T : IFloatingPointIeee754<T> => T.BitIncrement(T.One) - T.One;

    private static T[] Random<T>(Random rng, int n, double scale = 4) where T : IFloatingPointIeee754<T>
    {
        var v = new T[n];
        for (int i = 0; i < n; i++) v[i] = T.CreateTruncating((rng.NextDouble() * 2 - 1) * scale);
        return v;
    }

    [Fact]
    public void Sum_Dot_SumOfSquares_Mean_within_n_eps_of_sum_abs() { SumLike<float>(); SumLike<double>(); }

    private static void SumLike<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(1);
        double eps = double.CreateTruncating(Eps<T>());
        foreach (int n in Enumerable.Range(0, 301).Concat([1000, 4097, 65537]))
        {
            T[] x = Random<T>(rng, n + 1), y = Random<T>(rng, n + 1);
            ReadOnlySpan<T> xs = x.AsSpan(1, n), ys = y.AsSpan(1, n); // unaligned start
            double sum = 0, sumAbs = 0, dot = 0, dotAbs = 0, sq = 0;
            for (int i = 0; i < n; i++)
            {
                double a = double.CreateTruncating(xs[i]), b = double.CreateTruncating(ys[i]);
                sum += a; sumAbs += Math.Abs(a); dot += a * b; dotAbs += Math.Abs(a * b); sq += a * a;
            }
            double tol = Math.Max(n, 1) * eps;
            Assert.InRange(double.CreateTruncating(Reductions.Sum(xs)), sum - tol * sumAbs, sum + tol * sumAbs);
            Assert.InRange(double.CreateTruncating(Reductions.Dot(xs, ys)), dot - tol * dotAbs, dot + tol * dotAbs);
            Assert.InRange(double.CreateTruncating(Reductions.SumOfSquares(xs)), sq - tol * sq, sq + tol * sq);
            if (n > 0)
                Assert.InRange(double.CreateTruncating(Reductions.Mean(xs)), sum / n - tol * sumAbs / n - eps, sum / n + tol * sumAbs / n + eps);
        }
        Assert.Equal(T.Zero, Reductions.Sum<T>([]));
        Assert.True(T.IsNaN(Reductions.Mean<T>([])));
        Assert.True(T.IsNaN(Reductions.Sum<T>([T.One, T.NaN, T.One])));
    }

    [Fact]
    public void Max_and_Min_propagate_NaN_and_order_signed_zeros() { MaxMin<float>(); MaxMin<double>(); }

    private static void MaxMin<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(2);
        for (int n = 1; n <= 300; n++)
        {
            T[] x = Random<T>(rng, n);
            T max = x[0], min = x[0];
            foreach (T v in x) { if (v > max) max = v; if (v < min) min = v; }
            Assert.Equal(max, Reductions.Max<T>(x));
            Assert.Equal(min, Reductions.Min<T>(x));
            x[rng.Next(n)] = T.NaN;
            Assert.True(T.IsNaN(Reductions.Max<T>(x)));
            Assert.True(T.IsNaN(Reductions.Min<T>(x)));
        }
        Assert.Equal(T.NegativeInfinity, Reductions.Max<T>([]));
        Assert.Equal(T.PositiveInfinity, Reductions.Min<T>([]));
        Assert.False(T.IsNegative(Reductions.Max<T>([-T.Zero, T.Zero, -T.Zero])));
        Assert.True(T.IsNegative(Reductions.Min<T>([T.Zero, -T.Zero, T.Zero])));
        Assert.Equal(T.PositiveInfinity, Reductions.Max<T>([T.One, T.PositiveInfinity]));
    }

    // The documented contract, written as plainly as possible.
    private static int ArgReference<T>(ReadOnlySpan<T> x, bool max) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) if (T.IsNaN(x[i])) return i;
        int best = -1;
        for (int i = 0; i < x.Length; i++)
            if (best < 0 || (max ? x[i] > x[best] : x[i] < x[best])) best = i;
        return best;
    }

    [Fact]
    public void ArgMax_ArgMin_first_index_on_ties_and_first_NaN_at_every_length() { Arg<float>(); Arg<double>(); }

    private static void Arg<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(3);
        T[] picks = [T.Zero, -T.Zero, T.One, -T.One, T.CreateTruncating(3), T.CreateTruncating(-3), T.PositiveInfinity, T.NegativeInfinity];
        for (int n = 0; n <= 300; n++)
        {
            for (int trial = 0; trial < 6; trial++)
            {
                var buf = new T[n + 3];
                for (int i = 0; i < buf.Length; i++)
                    buf[i] = trial < 3 ? picks[rng.Next(trial == 0 ? 4 : picks.Length)] : T.CreateTruncating(rng.Next(-50, 50));
                if (trial % 2 == 1 && n > 0)
                {
                    buf[3 + rng.Next(n)] = T.NaN;
                    if (rng.Next(2) == 0) buf[3 + rng.Next(n)] = T.NaN;
                }
                ReadOnlySpan<T> x = buf.AsSpan(trial % 4, n);
                Assert.Equal(ArgReference(x, max: true), Reductions.ArgMax(x));
                Assert.Equal(ArgReference(x, max: false), Reductions.ArgMin(x));
            }
        }
        // The maximum in the last lane of one vector and again later: the first wins.
        var big = new T[1 << 12];
        big[37] = T.CreateTruncating(9); big[3000] = T.CreateTruncating(9); big[4095] = T.CreateTruncating(9);
        Assert.Equal(37, Reductions.ArgMax<T>(big));
        big[2] = T.CreateTruncating(-1); big[1000] = T.CreateTruncating(-1);
        Assert.Equal(2, Reductions.ArgMin<T>(big));
        Assert.Equal(0, Reductions.ArgMax<T>([-T.Zero, T.Zero]));
        Assert.Equal(0, Reductions.ArgMin<T>([T.Zero, -T.Zero]));
        Assert.Equal(-1, Reductions.ArgMax<T>([]));
        Assert.Equal(-1, Reductions.ArgMin<T>([]));
    }

    private static double LogSumExpReference(ReadOnlySpan<double> x)
    {
        double max = double.NegativeInfinity;
        foreach (double v in x) max = Math.Max(max, v);
        if (double.IsInfinity(max) || double.IsNaN(max)) return max;
        double s = 0;
        foreach (double v in x) s += Math.Exp(v - max);
        return max + Math.Log(s);
    }

    [Fact]
    public void LogSumExp_is_stable_and_handles_infinities() { Lse<float>(); Lse<double>(); }

    private static void Lse<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(4);
        double eps = double.CreateTruncating(Eps<T>());
        for (int n = 1; n <= 300; n++)
        {
            T[] x = Random<T>(rng, n, scale: 20);
            if (n > 2) x[rng.Next(n)] = T.NegativeInfinity;
            double want = LogSumExpReference(x.Select(double.CreateTruncating).ToArray());
            double got = double.CreateTruncating(Reductions.LogSumExp<T>(x));
            Assert.True(Math.Abs(got - want) <= 32 * eps * Math.Max(Math.Abs(want), 1), $"n={n}: {got} vs {want}");
        }
        T big = T.CreateTruncating(1e30);
        // exp would overflow without the max shift: lse(1e30, 1e30) = 1e30 + ln 2 = 1e30 in T.
        Assert.Equal(big, Reductions.LogSumExp<T>([big, big, -big]));
        Assert.Equal(-big, Reductions.LogSumExp<T>([-big]));
        Assert.Equal(-big + T.Log(T.CreateTruncating(2)), Reductions.LogSumExp<T>([-big, -big, T.NegativeInfinity]));
        Assert.Equal(T.NegativeInfinity, Reductions.LogSumExp<T>([]));
        Assert.Equal(T.NegativeInfinity, Reductions.LogSumExp<T>([T.NegativeInfinity, T.NegativeInfinity]));
        Assert.Equal(T.PositiveInfinity, Reductions.LogSumExp<T>([T.One, T.PositiveInfinity]));
        Assert.True(T.IsNaN(Reductions.LogSumExp<T>([T.One, T.NaN])));
        T three = T.CreateTruncating(3);
        double expectThree = 3 + Math.Log(2), gotThree = double.CreateTruncating(Reductions.LogSumExp<T>([three, T.NegativeInfinity, three]));
        Assert.True(Math.Abs(gotThree - expectThree) <= 8 * eps * expectThree, $"lse(3, -inf, 3) = {gotThree}");
    }

    [Fact]
    public void Softmax_and_LogSoftmax_match_a_double_reference_in_and_out_of_place() { Soft<float>(); Soft<double>(); }

    private static void Soft<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(5);
        double eps = double.CreateTruncating(Eps<T>());
        for (int n = 1; n <= 300; n++)
        {
            T[] x = Random<T>(rng, n + 1, scale: 10);
            if (n > 3) x[1 + rng.Next(n)] = T.NegativeInfinity;
            if (n > 3) x[1 + rng.Next(n)] = T.CreateTruncating(1e30 * (rng.Next(2) * 2 - 1));
            ReadOnlySpan<T> xs = x.AsSpan(1, n);
            double[] xd = xs.ToArray().Select(double.CreateTruncating).ToArray();
            double lse = LogSumExpReference(xd);

            var dst = new T[n];
            Reductions.Softmax(xs, dst);
            double total = 0;
            for (int i = 0; i < n; i++)
            {
                double want = Math.Exp(xd[i] - lse), got = double.CreateTruncating(dst[i]);
                // exp amplifies the rounding of its argument x - shift by |x - shift|.
                Assert.True(Math.Abs(got - want) <= 16 * eps * Math.Max(want, eps) * (1 + Math.Abs(xd[i] - lse)), $"softmax n={n} i={i}: {got} vs {want}");
                total += got;
            }
            Assert.True(Math.Abs(total - 1) <= 4 * n * eps, $"softmax n={n} sums to {total}");

            T[] inPlace = xs.ToArray();
            Reductions.Softmax<T>(inPlace, inPlace);
            AssertClose(dst, inPlace);

            Reductions.LogSoftmax(xs, dst);
            for (int i = 0; i < n; i++)
            {
                double want = xd[i] - lse, got = double.CreateTruncating(dst[i]);
                if (double.IsInfinity(want)) Assert.Equal(want, got);
                else Assert.True(Math.Abs(got - want) <= 16 * eps * Math.Max(Math.Abs(xd[i]) + Math.Abs(lse), 1), $"logsoftmax n={n} i={i}: {got} vs {want}");
            }
            inPlace = xs.ToArray();
            Reductions.LogSoftmax<T>(inPlace, inPlace);
            AssertClose(dst, inPlace);
        }
        var row = new T[3];
        Reductions.Softmax<T>([T.NegativeInfinity, T.NegativeInfinity, T.NegativeInfinity], row);
        Assert.All(row, v => Assert.True(T.IsNaN(v)));
        Reductions.Softmax<T>([T.One, T.NaN, T.One], row);
        Assert.All(row, v => Assert.True(T.IsNaN(v)));
        Reductions.Softmax<T>([], []);
    }

    // TensorPrimitives aligns its vector loops to the destination (and its sums to the source) address, so the
    // same row at another address may round differently in the last bits: in place vs out of place is "close".
    private static void AssertClose<T>(T[] expected, T[] actual) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        T tol = T.CreateTruncating(64) * Eps<T>();
        for (int i = 0; i < expected.Length; i++)
        {
            T e = expected[i], a = actual[i];
            bool ok = (T.IsNaN(e) && T.IsNaN(a)) || e == a || T.Abs(e - a) <= tol * T.Max(T.Abs(e), T.One);
            if (!ok) Assert.Fail($"index {i}: {e} vs {a}");
        }
    }

    [Fact]
    public void Softmax_backward_passes_match_the_jacobian()
    {
        // Finite differences of L = sum(g * softmax(x)) and sum(g * logsoftmax(x)) in double.
        var rng = new Random(6);
        foreach (int n in new[] { 1, 7, 33 })
        {
            double[] x = Random<double>(rng, n), g = Random<double>(rng, n);
            double[] y = new double[n], ly = new double[n], dx = new double[n], ldx = new double[n];
            Reductions.Softmax<double>(x, y);
            Reductions.LogSoftmax<double>(x, ly);
            Reductions.SoftmaxBackward<double>(y, g, dx);
            Reductions.LogSoftmaxBackward<double>(ly, g, ldx);
            for (int i = 0; i < n; i++)
            {
                double h = 1e-6;
                double[] xp = (double[])x.Clone(), xm = (double[])x.Clone();
                xp[i] += h; xm[i] -= h;
                double[] yp = new double[n], ym = new double[n];
                Reductions.Softmax<double>(xp, yp); Reductions.Softmax<double>(xm, ym);
                Assert.Equal((Reductions.Dot<double>(g, yp) - Reductions.Dot<double>(g, ym)) / (2 * h), dx[i], 6);
                Reductions.LogSoftmax<double>(xp, yp); Reductions.LogSoftmax<double>(xm, ym);
                Assert.Equal((Reductions.Dot<double>(g, yp) - Reductions.Dot<double>(g, ym)) / (2 * h), ldx[i], 6);
            }
        }
    }

    [Fact]
    public void Softmax_backward_passes_match_reference_in_and_out_of_place() { SoftBack<float>(); SoftBack<double>(); }

    private static void SoftBack<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(7);
        double eps = double.CreateTruncating(Eps<T>());
        for (int n = 0; n <= 300; n++)
        {
            T[] x = Random<T>(rng, n), g = Random<T>(rng, n), y = new T[n], ly = new T[n], dst = new T[n];
            Reductions.Softmax<T>(x, y);
            Reductions.LogSoftmax<T>(x, ly);
            double dot = 0, gsum = 0;
            for (int i = 0; i < n; i++) { dot += double.CreateTruncating(g[i]) * double.CreateTruncating(y[i]); gsum += double.CreateTruncating(g[i]); }
            double gAbs = g.Sum(v => Math.Abs(double.CreateTruncating(v)));

            Reductions.SoftmaxBackward<T>(y, g, dst);
            for (int i = 0; i < n; i++)
            {
                double yi = double.CreateTruncating(y[i]), want = yi * (double.CreateTruncating(g[i]) - dot);
                Assert.True(Math.Abs(double.CreateTruncating(dst[i]) - want) <= 4 * n * eps * yi * (4 + gAbs), $"softmax backward n={n} i={i}");
            }
            T[] alias = (T[])g.Clone();
            Reductions.SoftmaxBackward<T>(y, alias, alias);
            AssertClose(dst, alias);
            alias = (T[])y.Clone();
            Reductions.SoftmaxBackward<T>(alias, g, alias);
            AssertClose(dst, alias);

            Reductions.LogSoftmaxBackward<T>(ly, g, dst);
            for (int i = 0; i < n; i++)
            {
                double want = double.CreateTruncating(g[i]) - Math.Exp(double.CreateTruncating(ly[i])) * gsum;
                Assert.True(Math.Abs(double.CreateTruncating(dst[i]) - want) <= 4 * n * eps * (4 + gAbs), $"log-softmax backward n={n} i={i}");
            }
            alias = (T[])g.Clone();
            Reductions.LogSoftmaxBackward<T>(ly, alias, alias);
            AssertClose(dst, alias);
        }
    }

    [Fact]
    public void RowSums_and_ColumnSums_match_naive_sums() { RowCol<float>(); RowCol<double>(); }

    private static void RowCol<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(8);
        double eps = double.CreateTruncating(Eps<T>());
        foreach ((int rows, int cols) in new[] { (0, 0), (0, 5), (5, 0), (1, 1), (3, 17), (17, 3), (64, 65), (7, 300) })
        {
            T[] x = Random<T>(rng, rows * cols);
            var r = new T[rows];
            var c = new T[cols];
            Reductions.RowSums<T>(x, rows, cols, r);
            Reductions.ColumnSums<T>(x, rows, cols, c);
            for (int i = 0; i < rows; i++)
            {
                double want = 0;
                for (int j = 0; j < cols; j++) want += double.CreateTruncating(x[i * cols + j]);
                Assert.True(Math.Abs(double.CreateTruncating(r[i]) - want) <= 4 * cols * eps * cols, $"row {i}");
            }
            for (int j = 0; j < cols; j++)
            {
                double want = 0;
                for (int i = 0; i < rows; i++) want += double.CreateTruncating(x[i * cols + j]);
                Assert.True(Math.Abs(double.CreateTruncating(c[j]) - want) <= 4 * rows * eps * rows, $"column {j}");
            }
        }
        var buf = new float[12];
        Assert.Throws<ArgumentException>(() => Reductions.ColumnSums<float>(buf.AsSpan(0, 6), 2, 3, buf.AsSpan(3, 3)));
        Assert.Throws<ArgumentException>(() => Reductions.RowSums<float>(buf.AsSpan(0, 6), 2, 4, new float[2]));
        Assert.Throws<ArgumentException>(() => Reductions.RowSums<float>(buf.AsSpan(0, 6), 2, 3, new float[3]));
    }
}
