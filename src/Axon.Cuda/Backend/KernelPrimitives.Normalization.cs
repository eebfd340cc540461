using Axon.Cuda.Kernels;

namespace Axon.Cuda;

// Batch normalisation (batchnorm.cu): per-channel statistics in double, one block per channel (running statistics
// updated there), then one element-wise pass that normalises and, for BatchNormAct, adds the residual and applies the
// ReLU. The backward reduces Σgy and Σgy·x̂ per channel, then forms the input gradient element-wise.
internal sealed partial class KernelPrimitives
{
    public void BatchNormAct(Tensor x, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, bool training, double momentum, double eps,
        Tensor? residual, bool relu, Tensor y, Tensor saveMean, Tensor saveInvStd)
    {
        RequireFloat(x);
        var (n, c, s) = Channels(x);
        if (c == 0) return;
        if (!training && (runningMean is null || runningVar is null))
            throw new ArgumentException($"BatchNorm on {device.Name}: evaluation mode needs the running mean and variance.");
        ulong w = DenseOrNull(weight, out var wCopy), b = DenseOrNull(bias, out var bCopy);
        using (wCopy)
        using (bCopy)
        {
            var gx = KernelGeometry.Create(x.Shape, x.Strides.ToArray());
            device.Launch(Call("batch_norm_stats", x.DType).Geometry(gx).Ptr(P(x)).Int(n).Int(c).Int(s).Flag(training).Double(momentum).Double(eps)
                .Ptr(P(runningMean)).Ptr(P(runningVar)).Ptr(P(saveMean)).Ptr(P(saveInvStd)), c);
            var rs = residual is null ? new int[x.Rank] : KernelGeometry.BroadcastStrides(residual, x.Shape);
            var g = KernelGeometry.Create(x.Shape, y.Strides.ToArray(), x.Strides.ToArray(), rs);
            Run(Call("batch_norm_apply", x.DType).Geometry(g).Ptr(P(y)).Ptr(P(x)).Ptr(P(residual)).Int(c).Int(s)
                .Ptr(P(saveMean)).Ptr(P(saveInvStd)).Ptr(w).Ptr(b).Flag(relu), y.NumEl);
        }
    }

    public void BatchNormBackward(Tensor x, Tensor gy, Tensor saveMean, Tensor saveInvStd, Tensor? weight, bool training, Tensor? gx, Tensor? gw, Tensor? gb)
    {
        RequireFloat(x);
        var (n, c, s) = Channels(x);
        if (c == 0 || (gx is null && gw is null && gb is null)) return;
        using var sums = device.Scratch(16L * c);
        ulong w = DenseOrNull(weight, out var wCopy);
        using (wCopy)
        {
            var g2 = KernelGeometry.Create(x.Shape, x.Strides.ToArray(), gy.Strides.ToArray());
            device.Launch(Call("batch_norm_backward_reduce", x.DType).Geometry(g2).Ptr(P(x)).Ptr(P(gy)).Int(n).Int(c).Int(s)
                .Ptr(P(saveMean)).Ptr(P(saveInvStd)).Ptr(P(gw)).Ptr(P(gb)).Ptr(sums.Address), c);
            if (gx is null) return;
            var g3 = KernelGeometry.Create(x.Shape, gx.Strides.ToArray(), x.Strides.ToArray(), gy.Strides.ToArray());
            Run(Call("batch_norm_backward_input", x.DType).Geometry(g3).Ptr(P(gx)).Ptr(P(x)).Ptr(P(gy)).Int(c).Int(s).Double((double)n * s)
                .Ptr(P(saveMean)).Ptr(P(saveInvStd)).Ptr(w).Flag(training).Ptr(sums.Address), gx.NumEl);
        }
    }

    /// <summary>Batch, channels and spatial size of x [N, C, *].</summary>
    private static (int N, int C, int S) Channels(Tensor x)
    {
        int s = 1;
        for (int d = 2; d < x.Rank; d++) s *= x.Shape[d];
        return (x.Shape[0], x.Shape[1], s);
    }

    /// <summary><see cref="Dense(Tensor, out DeviceBuffer?, string)"/> of an optional tensor (0 for null).</summary>
    private ulong DenseOrNull(Tensor? t, out DeviceBuffer? copy, [System.Runtime.CompilerServices.CallerMemberName] string primitive = "")
    {
        copy = null;
        return t is null ? 0 : Dense(t, out copy, primitive);
    }
}
