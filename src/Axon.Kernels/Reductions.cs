using System.Numerics;
using System.Numerics.Tensors;

namespace Axon.Kernels;

/// <summary>Reductions over contiguous spans, generic over <see cref="float"/> and <see cref="double"/>.</summary>
public static class Reductions
{
    /// <summary>Sum of x (0 for an empty span).</summary>
    public static T Sum<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Sum(x);

    /// <summary>Dot product of x and y.</summary>
    public static T Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Dot(x, y);

    /// <summary>Sum of squares of x.</summary>
    public static T SumOfSquares<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.SumOfSquares(x);

    /// <summary>Index of the first maximum (NaN counts as the maximum); -1 for an empty span.</summary>
    public static int ArgMax<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length == 0) return -1;
        int best = 0;
        for (int i = 1; i < x.Length; i++)
        {
            if (T.IsNaN(x[best])) return best;
            if (x[i] > x[best] || T.IsNaN(x[i])) best = i;
        }
        return best;
    }

    /// <summary>Index of the first minimum (NaN counts as the minimum); -1 for an empty span.</summary>
    public static int ArgMin<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length == 0) return -1;
        int best = 0;
        for (int i = 1; i < x.Length; i++)
        {
            if (T.IsNaN(x[best])) return best;
            if (x[i] < x[best] || T.IsNaN(x[i])) best = i;
        }
        return best;
    }

    /// <summary>log(sum(exp(x))) computed stably as max + log(sum(exp(x - max))); -inf for an empty span.</summary>
    public static T LogSumExp<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length == 0) return T.NegativeInfinity;
        T max = TensorPrimitives.Max(x);
        if (T.IsInfinity(max) || T.IsNaN(max)) return max;
        T sum = T.Zero;
        for (int i = 0; i < x.Length; i++) sum += T.Exp(x[i] - max);
        return max + T.Log(sum);
    }

    /// <summary>Row softmax: dst = exp(x - max) / sum(exp(x - max)).</summary>
    public static void Softmax<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Elementwise.CheckLength(x.Length, dst.Length);
        if (x.Length == 0) return;
        T max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, dst);
        TensorPrimitives.Exp(dst, dst);
        T sum = TensorPrimitives.Sum<T>(dst);
        TensorPrimitives.Divide(dst, sum, dst);
    }

    /// <summary>Row log-softmax: dst = x - logsumexp(x).</summary>
    public static void LogSoftmax<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Elementwise.CheckLength(x.Length, dst.Length);
        if (x.Length == 0) return;
        T lse = LogSumExp(x);
        TensorPrimitives.Subtract(x, lse, dst);
    }
}
