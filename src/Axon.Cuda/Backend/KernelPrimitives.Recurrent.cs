using Axon.Cuda.Kernels;

namespace Axon.Cuda;

// Recurrent cells (recurrent.cu): the element-wise half of one time step on contiguous [B, G·H] gates and [B, H]
// states, one thread per state element; rows at and after `active` are copied through (forward) or zeroed (backward).
internal sealed partial class KernelPrimitives
{
    public void LstmCell(Tensor gates, Tensor hPrev, Tensor cPrev, Tensor hNext, Tensor cNext, int active)
    {
        RequireFloat(gates);
        var (b, h) = (hNext.Shape[0], hNext.Shape[1]);
        Run(Call("lstm_cell", gates.DType).Int(b).Int(h).Int(active).Ptr(P(gates)).Ptr(P(hPrev)).Ptr(P(cPrev)).Ptr(P(hNext)).Ptr(P(cNext)), (long)b * h);
    }

    public void LstmCellBackward(Tensor gates, Tensor cPrev, Tensor cNext, Tensor dh, Tensor dc, Tensor dGates, int active)
    {
        RequireFloat(gates);
        var (b, h) = (dh.Shape[0], dh.Shape[1]);
        Run(Call("lstm_cell_backward", gates.DType).Int(b).Int(h).Int(active).Ptr(P(gates)).Ptr(P(cPrev)).Ptr(P(cNext)).Ptr(P(dh)).Ptr(P(dc)).Ptr(P(dGates)), (long)b * h);
    }

    public void GruCell(Tensor gx, Tensor gh, Tensor hPrev, Tensor hNext, int active)
    {
        RequireFloat(gx);
        var (b, h) = (hNext.Shape[0], hNext.Shape[1]);
        Run(Call("gru_cell", gx.DType).Int(b).Int(h).Int(active).Ptr(P(gx)).Ptr(P(gh)).Ptr(P(hPrev)).Ptr(P(hNext)), (long)b * h);
    }

    public void GruCellBackward(Tensor gates, Tensor gh, Tensor hPrev, Tensor dh, Tensor dgx, Tensor dgh, int active)
    {
        RequireFloat(gates);
        var (b, h) = (dh.Shape[0], dh.Shape[1]);
        Run(Call("gru_cell_backward", gates.DType).Int(b).Int(h).Int(active).Ptr(P(gates)).Ptr(P(gh)).Ptr(P(hPrev)).Ptr(P(dh)).Ptr(P(dgx)).Ptr(P(dgh)), (long)b * h);
    }

    public void RnnCell(bool relu, Tensor pre, Tensor hPrev, Tensor hNext, int active)
    {
        RequireFloat(pre);
        int h = hNext.Shape[1];
        Run(Call("rnn_cell", pre.DType).Flag(relu).Int(hNext.NumEl).Int(active * h).Ptr(P(pre)).Ptr(P(hPrev)).Ptr(P(hNext)), hNext.NumEl);
    }

    public void RnnCellBackward(bool relu, Tensor hNext, Tensor dh, Tensor dPre, int active)
    {
        RequireFloat(hNext);
        int h = hNext.Shape[1];
        Run(Call("rnn_cell_backward", hNext.DType).Flag(relu).Int(hNext.NumEl).Int(active * h).Ptr(P(hNext)).Ptr(P(dh)).Ptr(P(dPre)), hNext.NumEl);
    }
}
