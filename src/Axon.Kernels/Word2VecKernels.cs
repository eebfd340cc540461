using System.Numerics.Tensors;

namespace Axon.Kernels;

/// <summary>
/// The inner loops of word2vec training (Mikolov et al.; the updates of word2vec.c), spans in, spans out. A hidden
/// vector h (a word's input vector for skip-gram, the context average for CBOW) is scored against output rows v:
/// for each (row, label) pair, g = lr·(label − σ(h·v)); the hidden gradient accumulates g·v (with v read before its
/// update) and the row moves by g·h. This is one SGD step on −log σ(h·v_pos) − Σ log σ(−h·v_neg) (negative
/// sampling) or −Σ_d log σ((1 − 2 code_d)·h·v_{point_d}) (hierarchical softmax). The caller adds the accumulated
/// hidden gradient to the input vectors. The updates are lock-free by design (Hogwild): concurrent callers may race on
/// shared rows, as in word2vec.c.
/// </summary>
public static class Word2VecKernels
{
    /// <summary>
    /// Negative sampling: targets[0] is the positive word (label 1), the rest negatives (label 0); a negative equal to
    /// the positive word is skipped, as word2vec.c does. outputs is the [V, dim] row-major output matrix.
    /// Accumulates into hiddenGrad (not cleared here) and updates the output rows. Returns the loss
    /// −log σ(h·v_pos) − Σ log σ(−h·v_neg) evaluated before the update.
    /// </summary>
    public static float NegativeSampling(ReadOnlySpan<float> hidden, Span<float> hiddenGrad, Span<float> outputs, int dim,
        ReadOnlySpan<int> targets, float lr)
    {
        float loss = 0;
        int positive = targets.Length > 0 ? targets[0] : -1;
        for (int i = 0; i < targets.Length; i++)
        {
            if (i > 0 && targets[i] == positive) continue;
            loss += Step(hidden, hiddenGrad, outputs.Slice(targets[i] * dim, dim), i == 0 ? 1f : 0f, lr);
        }
        return loss;
    }

    /// <summary>
    /// Hierarchical softmax along one word's Huffman path: points are inner-node rows of outputs ([V−1, dim] or larger,
    /// row-major), codes the branch bits (label = 1 − code, as word2vec.c). Accumulates into hiddenGrad and updates the
    /// rows. Returns −Σ_d log σ((1 − 2 code_d)·h·v_{point_d}) evaluated before each row's update.
    /// </summary>
    public static float HierarchicalSoftmax(ReadOnlySpan<float> hidden, Span<float> hiddenGrad, Span<float> outputs, int dim,
        ReadOnlySpan<int> points, ReadOnlySpan<byte> codes, float lr)
    {
        if (points.Length != codes.Length) throw new ArgumentException("points and codes must have the same length.", nameof(codes));
        float loss = 0;
        for (int d = 0; d < points.Length; d++)
            loss += Step(hidden, hiddenGrad, outputs.Slice(points[d] * dim, dim), 1 - codes[d], lr);
        return loss;
    }

    /// <summary>One logistic step against one output row; returns its loss −log σ(±h·v).</summary>
    private static float Step(ReadOnlySpan<float> hidden, Span<float> hiddenGrad, Span<float> row, float label, float lr)
    {
        float f = TensorPrimitives.Dot(hidden, row);
        // One exp and one log for both σ and the loss, stable for any f: e = e^−|f|,
        // σ(f) = 1/(1+e) or e/(1+e), −log σ(±f) = log(1+e) + max(0, ∓f).
        float e = MathF.Exp(-MathF.Abs(f));
        float sigma = f >= 0 ? 1f / (1f + e) : e / (1f + e);
        float g = (label - sigma) * lr;
        TensorPrimitives.MultiplyAdd(row, g, hiddenGrad, hiddenGrad);
        TensorPrimitives.MultiplyAdd(hidden, g, row, row);
        return MathF.Log(1f + e) + MathF.Max(0f, label > 0.5f ? -f : f);
    }

    /// <summary>σ(x) = 1 / (1 + e^−x), computed without overflow.</summary>
    public static float Sigmoid(float x) => x >= 0 ? 1f / (1f + MathF.Exp(-x)) : MathF.Exp(x) / (1f + MathF.Exp(x));

    /// <summary>−log σ(x) = log(1 + e^−x), computed stably.</summary>
    public static float SoftplusNeg(float x) => x > 0 ? MathF.Log(1f + MathF.Exp(-x)) : -x + MathF.Log(1f + MathF.Exp(x));

    /// <summary>dst += src (the hidden gradient onto an input vector).</summary>
    public static void AddInPlace(Span<float> dst, ReadOnlySpan<float> src) => TensorPrimitives.Add(dst, src, dst);

    /// <summary>dst *= s.</summary>
    public static void ScaleInPlace(Span<float> dst, float s) => TensorPrimitives.Multiply(dst, s, dst);
}
