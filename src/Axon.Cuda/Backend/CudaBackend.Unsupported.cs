namespace Axon.Cuda;

// The primitives with no CUDA kernel yet. Each throws NotSupportedException naming itself and the device, so a model
// that reaches one fails loudly instead of computing on the host behind the caller's back. The kernels come with the
// element-wise, reduction, loss, indexing, pooling, normalisation, recurrent and optimiser work of the CUDA issue.
public sealed partial class CudaBackend
{
    /// <inheritdoc/>
    public void Unary(UnaryOp op, Tensor x, Tensor dst) => throw NoKernel();

    /// <inheritdoc/>
    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor dst) => throw NoKernel();

    /// <inheritdoc/>
    public void Where(Tensor cond, Tensor a, Tensor b, Tensor dst) => throw NoKernel();

    /// <inheritdoc/>
    public void Clamp(Tensor x, double lo, double hi, Tensor dst) => throw NoKernel();

    /// <inheritdoc/>
    public void LeakyRelu(Tensor x, double slope, Tensor dst) => throw NoKernel();

    /// <inheritdoc/>
    public void Softplus(Tensor x, double beta, double threshold, Tensor dst) => throw NoKernel();

    /// <inheritdoc/>
    public void ActivationBackward(ActivationGrad kind, Tensor saved, Tensor g, Tensor dst) => throw NoKernel();

    /// <inheritdoc/>
    public void Axpy(double alpha, Tensor x, Tensor dst) => throw NoKernel();

    /// <inheritdoc/>
    public void Sum(Tensor x, int dim, Tensor dst) => throw NoKernel();

    /// <inheritdoc/>
    public void SumAll(Tensor x, Tensor dst) => throw NoKernel();

    /// <inheritdoc/>
    public void Extreme(Tensor x, int dim, bool max, Tensor values, Tensor indices) => throw NoKernel();

    /// <inheritdoc/>
    public void Softmax(Tensor x, int dim, bool log, Tensor dst) => throw NoKernel();

    /// <inheritdoc/>
    public (long Min, long Max) IndexRange(Tensor index) => throw NoKernel();

    /// <inheritdoc/>
    public double Norm(Tensor x, double p) => throw NoKernel();

    /// <inheritdoc/>
    public void ScaleInPlace(Tensor x, double factor) => throw NoKernel();

    /// <inheritdoc/>
    public int Renorm(Tensor x, int dim, double maxNorm) => throw NoKernel();

    /// <inheritdoc/>
    public Tensor? MaxPool2d(Tensor x, in Window2d window, Tensor y, bool withArgmax) => throw NoKernel();

    /// <inheritdoc/>
    public void MaxPool2dBackward(Tensor gy, Tensor argmax, in Window2d window, Tensor gx) => throw NoKernel();

    /// <inheritdoc/>
    public void MaxPool2dGather(Tensor x, Tensor argmax, in Window2d window, Tensor y) => throw NoKernel();

    /// <inheritdoc/>
    public void MaxPool2dIndices(Tensor argmax, Tensor indices) => throw NoKernel();

    /// <inheritdoc/>
    public void AvgPool2d(Tensor x, in Window2d window, bool countIncludePad, bool adaptive, Tensor y) => throw NoKernel();

    /// <inheritdoc/>
    public void AvgPool2dBackward(Tensor gy, in Window2d window, bool countIncludePad, bool adaptive, Tensor gx) => throw NoKernel();

    /// <inheritdoc/>
    public void BatchNorm(Tensor x, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, bool training, double momentum, double eps, Tensor y, Tensor saveMean, Tensor saveInvStd) => throw NoKernel();

    /// <inheritdoc/>
    public void BatchNormBackward(Tensor x, Tensor gy, Tensor saveMean, Tensor saveInvStd, Tensor? weight, bool training, Tensor? gx, Tensor? gw, Tensor? gb) => throw NoKernel();

    /// <inheritdoc/>
    public double CrossEntropy(Tensor x, Tensor target, Tensor? weight, Reduction reduction, Tensor loss, Tensor lse) => throw NoKernel();

    /// <inheritdoc/>
    public void CrossEntropyBackward(Tensor x, Tensor lse, Tensor target, Tensor? weight, Reduction reduction, double weightSum, Tensor g, Tensor gx) => throw NoKernel();

    /// <inheritdoc/>
    public void BinaryCrossEntropyWithLogits(Tensor x, Tensor target, Tensor loss) => throw NoKernel();

    /// <inheritdoc/>
    public void BinaryCrossEntropyWithLogitsBackward(Tensor x, Tensor target, Tensor g, Tensor gx) => throw NoKernel();

    /// <inheritdoc/>
    public void IndexSelect(Tensor x, int dim, Tensor index, Tensor dst) => throw NoKernel();

    /// <inheritdoc/>
    public void IndexAdd(Tensor dst, int dim, Tensor index, Tensor src) => throw NoKernel();

    /// <inheritdoc/>
    public void EmbeddingBackward(Tensor gradWeight, Tensor index, Tensor grad, long paddingIdx) => throw NoKernel();

    /// <inheritdoc/>
    public void Gather(Tensor x, int dim, Tensor index, Tensor dst) => throw NoKernel();

    /// <inheritdoc/>
    public void ScatterAdd(Tensor dst, int dim, Tensor index, Tensor src) => throw NoKernel();

    /// <inheritdoc/>
    public void LstmCell(Tensor gates, Tensor hPrev, Tensor cPrev, Tensor hNext, Tensor cNext, int active) => throw NoKernel();

    /// <inheritdoc/>
    public void LstmCellBackward(Tensor gates, Tensor cPrev, Tensor cNext, Tensor dh, Tensor dc, Tensor dGates, int active) => throw NoKernel();

    /// <inheritdoc/>
    public void GruCell(Tensor gx, Tensor gh, Tensor hPrev, Tensor hNext, int active) => throw NoKernel();

    /// <inheritdoc/>
    public void GruCellBackward(Tensor gates, Tensor gh, Tensor hPrev, Tensor dh, Tensor dgx, Tensor dgh, int active) => throw NoKernel();

    /// <inheritdoc/>
    public void RnnCell(bool relu, Tensor pre, Tensor hPrev, Tensor hNext, int active) => throw NoKernel();

    /// <inheritdoc/>
    public void RnnCellBackward(bool relu, Tensor hNext, Tensor dh, Tensor dPre, int active) => throw NoKernel();

    /// <inheritdoc/>
    public void SgdStep(Tensor p, Tensor grad, Tensor? buffer, in SgdUpdate u) => throw NoKernel();

    /// <inheritdoc/>
    public void AdamStep(Tensor p, Tensor grad, Tensor m, Tensor v, Tensor? maxSq, in AdamUpdate u) => throw NoKernel();

    /// <inheritdoc/>
    public void AdagradStep(Tensor p, Tensor grad, Tensor sum, in AdagradUpdate u) => throw NoKernel();

    /// <inheritdoc/>
    public void RmsPropStep(Tensor p, Tensor grad, Tensor squareAverage, Tensor? buffer, Tensor? average, in RmsPropUpdate u) => throw NoKernel();

    /// <inheritdoc/>
    public void AdadeltaStep(Tensor p, Tensor grad, Tensor squareAverage, Tensor accumulatedDelta, in AdadeltaUpdate u) => throw NoKernel();

    /// <inheritdoc/>
    public void AsgdStep(Tensor p, Tensor grad, Tensor average, in AsgdUpdate u) => throw NoKernel();

    /// <inheritdoc/>
    public void AveragedSgdStep(Tensor p, Tensor grad, Tensor average, in AveragedSgdUpdate u) => throw NoKernel();
}
