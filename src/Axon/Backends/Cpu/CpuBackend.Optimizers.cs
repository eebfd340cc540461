using System.Numerics;
using Axon.Kernels;

namespace Axon.Backends;

// The optimisers' updates: the coefficients rounded to the parameter's type, then one fused kernel pass
// (OptimizerKernels). SGD is split over the threads when the parameter is large (each element gets the same
// arithmetic whichever range it falls in, so the result does not depend on the thread count).
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void SgdStep(Tensor p, Tensor grad, Tensor? buffer, in SgdUpdate u)
    {
        double step = u.Maximize ? u.Lr : -u.Lr;
        if (p.DType == DType.Float32)
            Sgd(p, grad, buffer, new SgdBody<float>.Coefficients((float)u.WeightDecay, (float)u.Momentum, (float)(1 - u.Dampening), (float)step, u.First, u.Nesterov));
        else
            Sgd(p, grad, buffer, new SgdBody<double>.Coefficients(u.WeightDecay, u.Momentum, 1 - u.Dampening, step, u.First, u.Nesterov));
    }

    private void Sgd<T>(Tensor p, Tensor grad, Tensor? buffer, SgdBody<T>.Coefficients c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // AsSpan checks that each tensor is contiguous and of type T, as the ranges index its array from its offset.
        _ = p.AsSpan<T>();
        _ = grad.AsSpan<T>();
        if (buffer is not null) _ = buffer.AsSpan<T>();
        var body = new SgdBody<T>(p.Data<T>(), p.Offset, grad.Data<T>(), grad.Offset, buffer?.Data<T>(), buffer?.Offset ?? 0, c);
        ParallelRanges(p.NumEl, ref body);
    }

    private readonly struct SgdBody<T>(T[] p, int po, T[] grad, int go, T[]? buf, int bo, SgdBody<T>.Coefficients c) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public readonly record struct Coefficients(T WeightDecay, T Momentum, T OneMinusDampening, T Step, bool First, bool Nesterov);

        public void Run(int start, int end) =>
            OptimizerKernels.Sgd(p.AsSpan(po + start, end - start), grad.AsSpan(go + start, end - start), buf is null ? default : buf.AsSpan(bo + start, end - start),
                c.WeightDecay, c.Momentum, c.OneMinusDampening, c.Step, c.First, c.Nesterov);
    }

    /// <inheritdoc/>
    /// <remarks>Split over the threads as the element-wise ops are: each element's update reads only its own state, so every split gives the same bits.</remarks>
    public void AdamStep(Tensor p, Tensor grad, Tensor m, Tensor v, Tensor? maxSq, in AdamUpdate u)
    {
        if (p.DType == DType.Float32)
            Adam(p, grad, m, v, maxSq, new AdamBody<float>.Coefficients((float)u.Beta1, (float)u.Beta2, (float)u.Eps, (float)u.L2, (float)u.Shrink, (float)u.StepSize, (float)u.Bc2Sqrt, u.Maximize));
        else
            Adam(p, grad, m, v, maxSq, new AdamBody<double>.Coefficients(u.Beta1, u.Beta2, u.Eps, u.L2, u.Shrink, u.StepSize, u.Bc2Sqrt, u.Maximize));
    }

    private void Adam<T>(Tensor p, Tensor grad, Tensor m, Tensor v, Tensor? maxSq, AdamBody<T>.Coefficients c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // AsSpan checks that each tensor is contiguous and of type T, as the ranges index its array from its offset.
        foreach (var t in (ReadOnlySpan<Tensor?>)[p, grad, m, v, maxSq])
            if (t is not null) _ = t.AsSpan<T>();
        var body = new AdamBody<T>(p, grad, m, v, maxSq, c);
        ParallelRanges(p.NumEl, ref body);
    }

    private readonly struct AdamBody<T>(Tensor p, Tensor grad, Tensor m, Tensor v, Tensor? maxSq, AdamBody<T>.Coefficients c) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public readonly record struct Coefficients(T Beta1, T Beta2, T Eps, T L2, T Shrink, T StepSize, T Bc2Sqrt, bool Maximize);

        private static Span<T> Range(Tensor t, int start, int end) => t.Data<T>().AsSpan(t.Offset + start, end - start);

        public void Run(int start, int end) =>
            OptimizerKernels.Adam(Range(p, start, end), Range(grad, start, end), Range(m, start, end), Range(v, start, end),
                maxSq is null ? default : Range(maxSq, start, end), c.Beta1, c.Beta2, c.Eps, c.L2, c.Shrink, c.StepSize, c.Bc2Sqrt, c.Maximize);
    }

    /// <inheritdoc/>
    public void AdagradStep(Tensor p, Tensor grad, Tensor sum, in AdagradUpdate u)
    {
        if (p.DType == DType.Float32)
            OptimizerKernels.Adagrad(p.AsSpan<float>(), grad.AsSpan<float>(), sum.AsSpan<float>(), (float)u.WeightDecay, (float)u.Eps, (float)u.Lr, u.Maximize);
        else
            OptimizerKernels.Adagrad(p.AsSpan<double>(), grad.AsSpan<double>(), sum.AsSpan<double>(), u.WeightDecay, u.Eps, u.Lr, u.Maximize);
    }

    /// <inheritdoc/>
    public void RmsPropStep(Tensor p, Tensor grad, Tensor squareAverage, Tensor? buffer, Tensor? average, in RmsPropUpdate u)
    {
        if (p.DType == DType.Float32)
            OptimizerKernels.RmsProp(p.AsSpan<float>(), grad.AsSpan<float>(), squareAverage.AsSpan<float>(), buffer is null ? default : buffer.AsSpan<float>(),
                average is null ? default : average.AsSpan<float>(), (float)u.Lr, (float)u.Alpha, (float)u.Eps, (float)u.WeightDecay, (float)u.Momentum, u.Maximize);
        else
            OptimizerKernels.RmsProp(p.AsSpan<double>(), grad.AsSpan<double>(), squareAverage.AsSpan<double>(), buffer is null ? default : buffer.AsSpan<double>(),
                average is null ? default : average.AsSpan<double>(), u.Lr, u.Alpha, u.Eps, u.WeightDecay, u.Momentum, u.Maximize);
    }

    /// <inheritdoc/>
    public void AdadeltaStep(Tensor p, Tensor grad, Tensor squareAverage, Tensor accumulatedDelta, in AdadeltaUpdate u)
    {
        if (p.DType == DType.Float32)
            OptimizerKernels.Adadelta(p.AsSpan<float>(), grad.AsSpan<float>(), squareAverage.AsSpan<float>(), accumulatedDelta.AsSpan<float>(), (float)u.Lr, (float)u.Rho, (float)u.Eps, (float)u.WeightDecay, u.Maximize);
        else
            OptimizerKernels.Adadelta(p.AsSpan<double>(), grad.AsSpan<double>(), squareAverage.AsSpan<double>(), accumulatedDelta.AsSpan<double>(), u.Lr, u.Rho, u.Eps, u.WeightDecay, u.Maximize);
    }

    /// <inheritdoc/>
    public void AsgdStep(Tensor p, Tensor grad, Tensor average, in AsgdUpdate u)
    {
        if (p.DType == DType.Float32)
            OptimizerKernels.Asgd(p.AsSpan<float>(), grad.AsSpan<float>(), average.AsSpan<float>(), (float)u.WeightDecay, (float)u.Shrink, (float)u.Eta, (float)u.Mu, u.Maximize);
        else
            OptimizerKernels.Asgd(p.AsSpan<double>(), grad.AsSpan<double>(), average.AsSpan<double>(), u.WeightDecay, u.Shrink, u.Eta, u.Mu, u.Maximize);
    }

    /// <inheritdoc/>
    public void AveragedSgdStep(Tensor p, Tensor grad, Tensor average, in AveragedSgdUpdate u)
    {
        if (p.DType == DType.Float32)
            OptimizerKernels.AveragedSgd(p.AsSpan<float>(), grad.AsSpan<float>(), average.AsSpan<float>(), (float)u.Lr, (float)u.WeightDecay, (float)u.Mu, u.Mu == 1.0);
        else
            OptimizerKernels.AveragedSgd(p.AsSpan<double>(), grad.AsSpan<double>(), average.AsSpan<double>(), u.Lr, u.WeightDecay, u.Mu, u.Mu == 1.0);
    }
}
