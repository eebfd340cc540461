using Axon.Cuda.Kernels;

namespace Axon.Cuda;

// Optimiser updates (optim.cu) on contiguous parameters and states, one thread per element. Every coefficient is
// rounded to the parameter's type on the host (KernelCall.Real) exactly as the reference backend rounds it, so with
// --fmad=false the device's updates equal the reference's to the bit.
internal sealed partial class KernelPrimitives
{
    public void SgdStep(Tensor p, Tensor grad, Tensor? buffer, in SgdUpdate u)
    {
        RequireFloat(p);
        Run(Call("sgd", p.DType).Int(p.NumEl).Ptr(P(p)).Ptr(P(grad)).Ptr(P(buffer)).Real(u.WeightDecay).Real(u.Momentum).Real(1 - u.Dampening)
            .Real(u.Maximize ? u.Lr : -u.Lr).Flag(u.First).Flag(u.Nesterov), p.NumEl);
    }

    public void AdamStep(Tensor p, Tensor grad, Tensor m, Tensor v, Tensor? maxSq, in AdamUpdate u)
    {
        RequireFloat(p);
        Run(Call("adam", p.DType).Int(p.NumEl).Ptr(P(p)).Ptr(P(grad)).Ptr(P(m)).Ptr(P(v)).Ptr(P(maxSq)).Real(u.Beta1).Real(u.Beta2).Real(u.Eps)
            .Real(u.L2).Real(u.Shrink).Real(u.StepSize).Real(u.Bc2Sqrt).Flag(u.Maximize), p.NumEl);
    }

    public void AdagradStep(Tensor p, Tensor grad, Tensor sum, in AdagradUpdate u)
    {
        RequireFloat(p);
        Run(Call("adagrad", p.DType).Int(p.NumEl).Ptr(P(p)).Ptr(P(grad)).Ptr(P(sum)).Real(u.Lr).Real(u.WeightDecay).Real(u.Eps).Flag(u.Maximize), p.NumEl);
    }

    public void RmsPropStep(Tensor p, Tensor grad, Tensor squareAverage, Tensor? buffer, Tensor? average, in RmsPropUpdate u)
    {
        RequireFloat(p);
        Run(Call("rmsprop", p.DType).Int(p.NumEl).Ptr(P(p)).Ptr(P(grad)).Ptr(P(squareAverage)).Ptr(P(buffer)).Ptr(P(average))
            .Real(u.Lr).Real(u.Alpha).Real(u.Eps).Real(u.WeightDecay).Real(u.Momentum).Flag(u.Maximize), p.NumEl);
    }

    public void AdadeltaStep(Tensor p, Tensor grad, Tensor squareAverage, Tensor accumulatedDelta, in AdadeltaUpdate u)
    {
        RequireFloat(p);
        Run(Call("adadelta", p.DType).Int(p.NumEl).Ptr(P(p)).Ptr(P(grad)).Ptr(P(squareAverage)).Ptr(P(accumulatedDelta))
            .Real(u.Lr).Real(u.Rho).Real(u.Eps).Real(u.WeightDecay).Flag(u.Maximize), p.NumEl);
    }

    public void AsgdStep(Tensor p, Tensor grad, Tensor average, in AsgdUpdate u)
    {
        RequireFloat(p);
        Run(Call("asgd", p.DType).Int(p.NumEl).Ptr(P(p)).Ptr(P(grad)).Ptr(P(average)).Real(u.WeightDecay).Real(u.Shrink).Real(u.Eta).Real(u.Mu)
            .Flag(u.Maximize), p.NumEl);
    }

    public void AveragedSgdStep(Tensor p, Tensor grad, Tensor average, in AveragedSgdUpdate u)
    {
        RequireFloat(p);
        // copy: μ == 1 decided on the double, as the reference does, so the average becomes the parameter exactly.
        Run(Call("averaged_sgd", p.DType).Int(p.NumEl).Ptr(P(p)).Ptr(P(grad)).Ptr(P(average)).Real(u.Lr).Real(u.WeightDecay).Real(u.Mu)
            .Flag(u.Mu == 1.0), p.NumEl);
    }
}
