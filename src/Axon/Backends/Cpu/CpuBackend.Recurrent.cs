using Axon.Kernels;

namespace Axon.Backends;

// The recurrent cells' fused element-wise steps, on the kernels of Axon.Kernels.RecurrentCells.
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void LstmCell(Tensor gates, Tensor hPrev, Tensor cPrev, Tensor hNext, Tensor cNext, int active)
    {
        var (batch, hidden) = (hPrev.ShapeArray[0], hPrev.ShapeArray[1]);
        if (gates.DType == DType.Float32)
            RecurrentCells.LstmForward(gates.AsSpan<float>(), hPrev.AsSpan<float>(), cPrev.AsSpan<float>(), hNext.AsSpan<float>(), cNext.AsSpan<float>(), batch, hidden, active);
        else
            RecurrentCells.LstmForward(gates.AsSpan<double>(), hPrev.AsSpan<double>(), cPrev.AsSpan<double>(), hNext.AsSpan<double>(), cNext.AsSpan<double>(), batch, hidden, active);
    }

    /// <inheritdoc/>
    public void LstmCellBackward(Tensor gates, Tensor cPrev, Tensor cNext, Tensor dh, Tensor dc, Tensor dGates, int active)
    {
        var (batch, hidden) = (cPrev.ShapeArray[0], cPrev.ShapeArray[1]);
        if (gates.DType == DType.Float32)
            RecurrentCells.LstmBackward(gates.AsSpan<float>(), cPrev.AsSpan<float>(), cNext.AsSpan<float>(), dh.AsSpan<float>(), dc.AsSpan<float>(), dGates.AsSpan<float>(), batch, hidden, active);
        else
            RecurrentCells.LstmBackward(gates.AsSpan<double>(), cPrev.AsSpan<double>(), cNext.AsSpan<double>(), dh.AsSpan<double>(), dc.AsSpan<double>(), dGates.AsSpan<double>(), batch, hidden, active);
    }

    /// <inheritdoc/>
    public void GruCell(Tensor gx, Tensor gh, Tensor hPrev, Tensor hNext, int active)
    {
        var (batch, hidden) = (hPrev.ShapeArray[0], hPrev.ShapeArray[1]);
        if (gx.DType == DType.Float32)
            RecurrentCells.GruForward(gx.AsSpan<float>(), gh.AsSpan<float>(), hPrev.AsSpan<float>(), hNext.AsSpan<float>(), batch, hidden, active);
        else
            RecurrentCells.GruForward(gx.AsSpan<double>(), gh.AsSpan<double>(), hPrev.AsSpan<double>(), hNext.AsSpan<double>(), batch, hidden, active);
    }

    /// <inheritdoc/>
    public void GruCellBackward(Tensor gates, Tensor gh, Tensor hPrev, Tensor dh, Tensor dgx, Tensor dgh, int active)
    {
        var (batch, hidden) = (hPrev.ShapeArray[0], hPrev.ShapeArray[1]);
        if (gates.DType == DType.Float32)
            RecurrentCells.GruBackward(gates.AsSpan<float>(), gh.AsSpan<float>(), hPrev.AsSpan<float>(), dh.AsSpan<float>(), dgx.AsSpan<float>(), dgh.AsSpan<float>(), batch, hidden, active);
        else
            RecurrentCells.GruBackward(gates.AsSpan<double>(), gh.AsSpan<double>(), hPrev.AsSpan<double>(), dh.AsSpan<double>(), dgx.AsSpan<double>(), dgh.AsSpan<double>(), batch, hidden, active);
    }

    /// <inheritdoc/>
    public void RnnCell(bool relu, Tensor pre, Tensor hPrev, Tensor hNext, int active)
    {
        var (batch, hidden) = (hPrev.ShapeArray[0], hPrev.ShapeArray[1]);
        if (pre.DType == DType.Float32) RecurrentCells.RnnForward(relu, pre.AsSpan<float>(), hPrev.AsSpan<float>(), hNext.AsSpan<float>(), batch, hidden, active);
        else RecurrentCells.RnnForward(relu, pre.AsSpan<double>(), hPrev.AsSpan<double>(), hNext.AsSpan<double>(), batch, hidden, active);
    }

    /// <inheritdoc/>
    public void RnnCellBackward(bool relu, Tensor hNext, Tensor dh, Tensor dPre, int active)
    {
        var (batch, hidden) = (hNext.ShapeArray[0], hNext.ShapeArray[1]);
        if (hNext.DType == DType.Float32) RecurrentCells.RnnBackward(relu, hNext.AsSpan<float>(), dh.AsSpan<float>(), dPre.AsSpan<float>(), batch, hidden, active);
        else RecurrentCells.RnnBackward(relu, hNext.AsSpan<double>(), dh.AsSpan<double>(), dPre.AsSpan<double>(), batch, hidden, active);
    }
}
