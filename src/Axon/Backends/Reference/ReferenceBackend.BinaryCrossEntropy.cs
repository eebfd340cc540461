using System.Numerics;

namespace Axon.Backends;

// Binary cross-entropy with logits element by element in the tensors' type: loss = (1 − t) x + log(1 + e^−|x|) +
// max(−x, 0); its gradient (σ(x) − t) g.
public sealed partial class ReferenceBackend
{
    /// <inheritdoc/>
    public void BinaryCrossEntropyWithLogits(Tensor x, Tensor target, Tensor loss)
    {
        Own(x, target, loss);
        if (x.DType == DType.Float32) BinaryCrossEntropyWithLogits<float>(x, target, null, loss);
        else BinaryCrossEntropyWithLogits<double>(x, target, null, loss);
    }

    /// <inheritdoc/>
    public void BinaryCrossEntropyWithLogitsBackward(Tensor x, Tensor target, Tensor g, Tensor gx)
    {
        Own(x, target, g, gx);
        if (x.DType == DType.Float32) BinaryCrossEntropyWithLogits<float>(x, target, g, gx);
        else BinaryCrossEntropyWithLogits<double>(x, target, g, gx);
    }

    private static void BinaryCrossEntropyWithLogits<T>(Tensor x, Tensor target, Tensor? g, Tensor dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] xv = x.Data<T>(), tv = target.Data<T>(), dv = dst.Data<T>();
        for (int i = 0; i < dst.NumEl; i++)
        {
            T xi = xv[OffsetOf(x, i)], ti = tv[OffsetOf(target, i)];
            dv[OffsetOf(dst, i)] = g is null
                ? (T.One - ti) * xi + (T.Log(T.One + T.Exp(-T.Abs(xi))) + T.Max(-xi, T.Zero))
                : (T.One / (T.One + T.Exp(-xi)) - ti) * g.Data<T>()[OffsetOf(g, i)];
        }
    }
}
