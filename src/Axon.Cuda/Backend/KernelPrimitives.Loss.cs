using Axon.Cuda.Kernels;

namespace Axon.Cuda;

// Losses (loss.cu): softmax cross-entropy by rows (log-sum-exp saved) then a deterministic one-block reduction whose
// weight sum is read back, its backward, and binary cross-entropy with logits.
internal sealed partial class KernelPrimitives
{
    public double CrossEntropy(Tensor x, Tensor target, Tensor? weight, Reduction reduction, Tensor loss, Tensor lse)
    {
        RequireFloat(x);
        int rows = x.Shape[0], classes = x.Shape[1];
        CheckIndices(target, classes, k => $"CrossEntropy: class index {k} is out of bounds for {classes} classes.");
        int es = x.DType.ElementSize();
        using var rowLoss = device.Scratch((long)rows * es);
        using var rowWeight = device.Scratch((long)rows * es);
        using var weightSum = device.Scratch(8);
        Run(Call("cross_entropy_rows", x.DType).Ptr(P(x)).Int(rows).Int(classes).Int(x.Strides[0]).Int(x.Strides[1])
            .Ptr(P(target)).Int(target.Strides[0]).Ptr(P(weight)).Int(weight?.Strides[0] ?? 0).Int((int)reduction)
            .Ptr(P(loss)).Ptr(P(lse)).Ptr(rowLoss.Address).Ptr(rowWeight.Address), rows);
        // Launched even for no rows: it writes the (empty) mean, sum and weight sum the CPU gives.
        device.Launch(Call("cross_entropy_reduce", x.DType).Ptr(rowLoss.Address).Ptr(rowWeight.Address).Int(rows).Int((int)reduction)
            .Flag(weight is not null).Ptr(P(loss)).Ptr(weightSum.Address), Math.Max(rows, 1));
        return ReadBack<double>(weightSum.Address, 1)[0];
    }

    public void CrossEntropyBackward(Tensor x, Tensor lse, Tensor target, Tensor? weight, Reduction reduction, double weightSum, Tensor g, Tensor gx)
    {
        RequireFloat(x);
        int rows = x.Shape[0], classes = x.Shape[1];
        ulong lsePtr = Dense(lse, out var lseCopy);
        using (lseCopy)
        {
            Run(Call("cross_entropy_backward", x.DType).Ptr(P(x)).Int(rows).Int(classes).Int(x.Strides[0]).Int(x.Strides[1]).Ptr(lsePtr)
                .Ptr(P(target)).Int(target.Strides[0]).Ptr(P(weight)).Int(weight?.Strides[0] ?? 0).Int((int)reduction).Double(weightSum)
                .Ptr(P(g)).Int(g.Rank == 0 ? 0 : g.Strides[0]).Ptr(P(gx)), (long)rows * classes);
        }
    }

    public void BinaryCrossEntropyWithLogits(Tensor x, Tensor target, Tensor loss)
    {
        RequireFloat(loss);
        Run(Call("bce_logits", loss.DType).Geometry(KernelGeometry.ForElementwise(loss, x, target)).Ptr(P(loss)).Ptr(P(x)).Ptr(P(target)), loss.NumEl);
    }

    public void BinaryCrossEntropyWithLogitsBackward(Tensor x, Tensor target, Tensor g, Tensor gx)
    {
        RequireFloat(gx);
        var geometry = KernelGeometry.ForElementwise(gx, x, target, g);
        Run(Call("bce_logits_backward", gx.DType).Geometry(geometry).Ptr(P(gx)).Ptr(P(x)).Ptr(P(target)).Ptr(P(g)), gx.NumEl);
    }
}
