namespace Axon.Cuda;

// The primitives computed by the NVRTC kernels: each checks its tensors live on this device, then runs in
// KernelPrimitives (one file per family there). BatchNormActBackward keeps the interface's composed default (there is
// no fused backward kernel); Renorm has no kernel (CudaBackend.Unsupported.cs).
public sealed partial class CudaBackend
{
    /// <inheritdoc/>
    public void Unary(UnaryOp op, Tensor x, Tensor dst)
    {
        Own(x, dst);
        K.Unary(op, x, dst);
    }

    /// <inheritdoc/>
    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor dst)
    {
        Own(a, b, dst);
        K.Binary(op, a, b, dst);
    }

    /// <inheritdoc/>
    public void Where(Tensor cond, Tensor a, Tensor b, Tensor dst)
    {
        Own(cond, a, b, dst);
        K.Where(cond, a, b, dst);
    }

    /// <inheritdoc/>
    public void Clamp(Tensor x, double lo, double hi, Tensor dst)
    {
        Own(x, dst);
        K.Clamp(x, lo, hi, dst);
    }

    /// <inheritdoc/>
    public void LeakyRelu(Tensor x, double slope, Tensor dst)
    {
        Own(x, dst);
        K.LeakyRelu(x, slope, dst);
    }

    /// <inheritdoc/>
    public void Softplus(Tensor x, double beta, double threshold, Tensor dst)
    {
        Own(x, dst);
        K.Softplus(x, beta, threshold, dst);
    }

    /// <inheritdoc/>
    public void ActivationBackward(ActivationGrad kind, Tensor saved, Tensor g, Tensor dst)
    {
        Own(saved, g, dst);
        K.ActivationBackward(kind, saved, g, dst);
    }

    /// <inheritdoc/>
    public void LeakyReluBackward(Tensor x, Tensor g, double slope, Tensor dst)
    {
        Own(x, g, dst);
        K.LeakyReluBackward(x, g, slope, dst);
    }

    /// <inheritdoc/>
    public void Axpy(double alpha, Tensor x, Tensor dst)
    {
        Own(x, dst);
        K.Axpy(alpha, x, dst);
    }

    /// <inheritdoc/>
    public void Sum(Tensor x, int dim, Tensor dst)
    {
        Own(x, dst);
        K.Sum(x, dim, dst);
    }

    /// <inheritdoc/>
    public void SumAll(Tensor x, Tensor dst)
    {
        Own(x, dst);
        K.SumAll(x, dst);
    }

    /// <inheritdoc/>
    public void Extreme(Tensor x, int dim, bool max, Tensor values, Tensor indices)
    {
        Own(x, values, indices);
        K.Extreme(x, dim, max, values, indices);
    }

    /// <inheritdoc/>
    public void Softmax(Tensor x, int dim, bool log, Tensor dst)
    {
        Own(x, dst);
        K.Softmax(x, dim, log, dst);
    }

    /// <inheritdoc/>
    public (long Min, long Max) IndexRange(Tensor index)
    {
        Own(index);
        return K.IndexRange(index);
    }

    /// <inheritdoc/>
    public double Norm(Tensor x, double p)
    {
        Own(x);
        return K.Norm(x, p);
    }

    /// <inheritdoc/>
    public void ScaleInPlace(Tensor x, double factor)
    {
        Own(x);
        K.ScaleInPlace(x, factor);
    }

    /// <inheritdoc/>
    public Tensor? MaxPool2d(Tensor x, in Window2d window, Tensor y, bool withArgmax)
    {
        Own(x, y);
        return K.MaxPool2d(x, in window, y, withArgmax);
    }

    /// <inheritdoc/>
    public void MaxPool2dBackward(Tensor gy, Tensor argmax, in Window2d window, Tensor gx)
    {
        Own(gy, argmax, gx);
        K.MaxPool2dBackward(gy, argmax, in window, gx);
    }

    /// <inheritdoc/>
    public void MaxPool2dGather(Tensor x, Tensor argmax, in Window2d window, Tensor y)
    {
        Own(x, argmax, y);
        K.MaxPool2dGather(x, argmax, in window, y);
    }

    /// <inheritdoc/>
    public void MaxPool2dIndices(Tensor argmax, Tensor indices)
    {
        Own(argmax, indices);
        K.MaxPool2dIndices(argmax, indices);
    }

    /// <inheritdoc/>
    public void AvgPool2d(Tensor x, in Window2d window, bool countIncludePad, bool adaptive, Tensor y)
    {
        Own(x, y);
        K.AvgPool2d(x, in window, countIncludePad, adaptive, y);
    }

    /// <inheritdoc/>
    public void AvgPool2dBackward(Tensor gy, in Window2d window, bool countIncludePad, bool adaptive, Tensor gx)
    {
        Own(gy, gx);
        K.AvgPool2dBackward(gy, in window, countIncludePad, adaptive, gx);
    }

    /// <inheritdoc/>
    public void BatchNorm(Tensor x, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, bool training, double momentum, double eps, Tensor y, Tensor saveMean, Tensor saveInvStd)
    {
        Own(x, weight, bias, runningMean, runningVar, y);
        Own(saveMean, saveInvStd);
        K.BatchNormAct(x, weight, bias, runningMean, runningVar, training, momentum, eps, null, false, y, saveMean, saveInvStd);
    }

    /// <inheritdoc/>
    public void BatchNormAct(Tensor x, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, bool training, double momentum, double eps,
        Tensor? residual, bool relu, Tensor y, Tensor saveMean, Tensor saveInvStd)
    {
        Own(x, weight, bias, runningMean, runningVar, residual);
        Own(y, saveMean, saveInvStd);
        K.BatchNormAct(x, weight, bias, runningMean, runningVar, training, momentum, eps, residual, relu, y, saveMean, saveInvStd);
    }

    /// <inheritdoc/>
    public void BatchNormBackward(Tensor x, Tensor gy, Tensor saveMean, Tensor saveInvStd, Tensor? weight, bool training, Tensor? gx, Tensor? gw, Tensor? gb)
    {
        Own(x, gy, saveMean, saveInvStd, weight, gx);
        Own(gw, gb);
        K.BatchNormBackward(x, gy, saveMean, saveInvStd, weight, training, gx, gw, gb);
    }

    /// <inheritdoc/>
    public double CrossEntropy(Tensor x, Tensor target, Tensor? weight, Reduction reduction, Tensor loss, Tensor lse)
    {
        Own(x, target, weight, loss, lse);
        return K.CrossEntropy(x, target, weight, reduction, loss, lse);
    }

    /// <inheritdoc/>
    public void CrossEntropyBackward(Tensor x, Tensor lse, Tensor target, Tensor? weight, Reduction reduction, double weightSum, Tensor g, Tensor gx)
    {
        Own(x, lse, target, weight, g, gx);
        K.CrossEntropyBackward(x, lse, target, weight, reduction, weightSum, g, gx);
    }

    /// <inheritdoc/>
    public void BinaryCrossEntropyWithLogits(Tensor x, Tensor target, Tensor loss)
    {
        Own(x, target, loss);
        K.BinaryCrossEntropyWithLogits(x, target, loss);
    }

    /// <inheritdoc/>
    public void BinaryCrossEntropyWithLogitsBackward(Tensor x, Tensor target, Tensor g, Tensor gx)
    {
        Own(x, target, g, gx);
        K.BinaryCrossEntropyWithLogitsBackward(x, target, g, gx);
    }

    /// <inheritdoc/>
    public void IndexSelect(Tensor x, int dim, Tensor index, Tensor dst)
    {
        Own(x, index, dst);
        K.IndexSelect(x, dim, index, dst);
    }

    /// <inheritdoc/>
    public void IndexAdd(Tensor dst, int dim, Tensor index, Tensor src)
    {
        Own(dst, index, src);
        K.IndexAdd(dst, dim, index, src);
    }

    /// <inheritdoc/>
    public void EmbeddingBackward(Tensor gradWeight, Tensor index, Tensor grad, long paddingIdx)
    {
        Own(gradWeight, index, grad);
        K.EmbeddingBackward(gradWeight, index, grad, paddingIdx);
    }

    /// <inheritdoc/>
    public void Gather(Tensor x, int dim, Tensor index, Tensor dst)
    {
        Own(x, index, dst);
        K.Gather(x, dim, index, dst);
    }

    /// <inheritdoc/>
    public void ScatterAdd(Tensor dst, int dim, Tensor index, Tensor src)
    {
        Own(dst, index, src);
        K.ScatterAdd(dst, dim, index, src);
    }

    /// <inheritdoc/>
    public void LstmCell(Tensor gates, Tensor hPrev, Tensor cPrev, Tensor hNext, Tensor cNext, int active)
    {
        Own(gates, hPrev, cPrev, hNext, cNext);
        K.LstmCell(gates, hPrev, cPrev, hNext, cNext, active);
    }

    /// <inheritdoc/>
    public void LstmCellBackward(Tensor gates, Tensor cPrev, Tensor cNext, Tensor dh, Tensor dc, Tensor dGates, int active)
    {
        Own(gates, cPrev, cNext, dh, dc, dGates);
        K.LstmCellBackward(gates, cPrev, cNext, dh, dc, dGates, active);
    }

    /// <inheritdoc/>
    public void GruCell(Tensor gx, Tensor gh, Tensor hPrev, Tensor hNext, int active)
    {
        Own(gx, gh, hPrev, hNext);
        K.GruCell(gx, gh, hPrev, hNext, active);
    }

    /// <inheritdoc/>
    public void GruCellBackward(Tensor gates, Tensor gh, Tensor hPrev, Tensor dh, Tensor dgx, Tensor dgh, int active)
    {
        Own(gates, gh, hPrev, dh, dgx, dgh);
        K.GruCellBackward(gates, gh, hPrev, dh, dgx, dgh, active);
    }

    /// <inheritdoc/>
    public void RnnCell(bool relu, Tensor pre, Tensor hPrev, Tensor hNext, int active)
    {
        Own(pre, hPrev, hNext);
        K.RnnCell(relu, pre, hPrev, hNext, active);
    }

    /// <inheritdoc/>
    public void RnnCellBackward(bool relu, Tensor hNext, Tensor dh, Tensor dPre, int active)
    {
        Own(hNext, dh, dPre);
        K.RnnCellBackward(relu, hNext, dh, dPre, active);
    }

    /// <inheritdoc/>
    public void SgdStep(Tensor p, Tensor grad, Tensor? buffer, in SgdUpdate u)
    {
        Own(p, grad, buffer);
        K.SgdStep(p, grad, buffer, in u);
    }

    /// <inheritdoc/>
    public void AdamStep(Tensor p, Tensor grad, Tensor m, Tensor v, Tensor? maxSq, in AdamUpdate u)
    {
        Own(p, grad, m, v, maxSq);
        K.AdamStep(p, grad, m, v, maxSq, in u);
    }

    /// <inheritdoc/>
    public void AdagradStep(Tensor p, Tensor grad, Tensor sum, in AdagradUpdate u)
    {
        Own(p, grad, sum);
        K.AdagradStep(p, grad, sum, in u);
    }

    /// <inheritdoc/>
    public void RmsPropStep(Tensor p, Tensor grad, Tensor squareAverage, Tensor? buffer, Tensor? average, in RmsPropUpdate u)
    {
        Own(p, grad, squareAverage, buffer, average);
        K.RmsPropStep(p, grad, squareAverage, buffer, average, in u);
    }

    /// <inheritdoc/>
    public void AdadeltaStep(Tensor p, Tensor grad, Tensor squareAverage, Tensor accumulatedDelta, in AdadeltaUpdate u)
    {
        Own(p, grad, squareAverage, accumulatedDelta);
        K.AdadeltaStep(p, grad, squareAverage, accumulatedDelta, in u);
    }

    /// <inheritdoc/>
    public void AsgdStep(Tensor p, Tensor grad, Tensor average, in AsgdUpdate u)
    {
        Own(p, grad, average);
        K.AsgdStep(p, grad, average, in u);
    }

    /// <inheritdoc/>
    public void AveragedSgdStep(Tensor p, Tensor grad, Tensor average, in AveragedSgdUpdate u)
    {
        Own(p, grad, average);
        K.AveragedSgdStep(p, grad, average, in u);
    }
}
