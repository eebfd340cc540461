using Axon.Backends;

namespace Axon;

// One direction of one recurrent layer over a whole sequence as one op, forward and backward through time side by side.
//
// Forward: P = X W_ihᵀ + b (one GEMM for all T·B rows); per step t, P_t += h W_hhᵀ (one GEMM; the GRU keeps h W_hhᵀ + b_hh
// apart, as its n gate needs it) and one fused element-wise kernel for the gates. The states of every step are kept
// in S [T + 1, B, H] in time order: step t reads S[t] and writes S[t + 1] (reversed: reads S[t + 1], writes S[t]).
// Backward: per step, the fused kernel turns ∂L/∂h' (and ∂L/∂c') into the gates' gradient dP_t, and one GEMM dP_t W_hh
// gives ∂L/∂h; after the loop, three GEMMs over all steps: ∂L/∂X = dP W_ih, ∂W_ih = dPᵀ X, ∂W_hh = dPᵀ S_prev.
// A padded batch runs sorted by decreasing length, so at step t the running rows are a prefix [0, n_t): the GEMMs
// take only those rows and the kernels pass the others' state through unchanged.
internal static partial class Recurrent
{
    /// <summary>
    /// One direction of one layer over a sequence (see <see cref="Composite"/> for the shapes and the meaning of
    /// <paramref name="lengths"/>), recorded as one op whose backward is back-propagation through time. Under
    /// createGraph the backward differentiates the composite form instead, so higher derivatives are exact.
    /// </summary>
    public static (Tensor Output, Tensor H, Tensor? C) Layer(RecurrentMode mode, Tensor x, Tensor h0, Tensor? c0, Tensor wIh, Tensor wHh, Tensor? bIh, Tensor? bHh, bool reverse, int[]? lengths)
    {
        bool lstm = mode == RecurrentMode.Lstm, gru = mode == RecurrentMode.Gru;
        int steps = x.Shape[0], batch = x.Shape[1], inSize = x.Shape[2], hidden = wHh.Shape[1], gates = Gates(mode) * hidden;
        var device = Compute.SameDevice(Name(mode), x, h0, c0, wIh, wHh, bIh, bHh);
        var backend = device.Backend;
        var xc = x.ContiguousData();

        // Input projections of all steps at once; Elman and the LSTM fold both biases in, the GRU only b_ih.
        Tensor? bias = gru || bHh is null ? bIh : bIh is null ? bHh : Compute.Binary(bIh, bHh, BinaryOp.Add, "Add");
        var proj = Compute.Linear(xc.ReshapeData([steps * batch, inSize]), wIh, bias).ReshapeData([steps, batch, gates]);
        var recurrent = gru ? Tensor.Empty([steps, batch, gates], x.DType, device) : null;
        var hs = Tensor.Empty([steps + 1, batch, hidden], x.DType, device);
        var cs = lstm ? Tensor.Empty([steps + 1, batch, hidden], x.DType, device) : null;
        int first = reverse ? steps : 0;
        backend.Copy(h0, hs.SelectView(0, first));
        if (cs is not null) backend.Copy(c0!, cs.SelectView(0, first));
        var wHhT = wHh.TransposeView(0, 1);
        for (int s = 0; s < steps; s++)
        {
            int t = reverse ? steps - 1 - s : s, prev = reverse ? t + 1 : t, next = reverse ? t : t + 1;
            int n = Active(lengths, t, batch);
            var p = proj.SelectView(0, t);
            var hPrev = hs.SelectView(0, prev);
            if (n > 0)
            {
                if (gru) backend.Linear(hPrev.NarrowView(0, 0, n), wHh, bHh, recurrent!.SelectView(0, t).NarrowView(0, 0, n));
                else Compute.MatMulInto(hPrev.NarrowView(0, 0, n), wHhT, p.NarrowView(0, 0, n), 1);
            }
            switch (mode)
            {
                case RecurrentMode.Lstm: backend.LstmCell(p, hPrev, cs!.SelectView(0, prev), hs.SelectView(0, next), cs.SelectView(0, next), n); break;
                case RecurrentMode.Gru: backend.GruCell(p, recurrent!.SelectView(0, t), hPrev, hs.SelectView(0, next), n); break;
                default: backend.RnnCell(mode == RecurrentMode.RnnRelu, p, hPrev, hs.SelectView(0, next), n); break;
            }
        }

        // The outputs are copies: a caller writing into them in place must not corrupt what the backward reads.
        var output = Tensor.Empty([steps, batch, hidden], x.DType, device);
        if (lengths is null) backend.Copy(hs.NarrowView(0, reverse ? 0 : 1, steps), output);
        else
        {
            backend.Fill(output, 0);
            for (int t = 0; t < steps; t++)
            {
                int n = Active(lengths, t, batch);
                if (n > 0) backend.Copy(hs.SelectView(0, reverse ? t : t + 1).NarrowView(0, 0, n), output.SelectView(0, t).NarrowView(0, 0, n));
            }
        }
        int last = reverse ? 0 : steps;
        var hN = hs.SelectView(0, last).CloneData();
        var cN = cs?.SelectView(0, last).CloneData();

        Tensor[] inputs = [x, h0, .. c0 is null ? Array.Empty<Tensor>() : [c0], wIh, wHh, .. bIh is null ? Array.Empty<Tensor>() : [bIh, bHh!]];
        var attributes = new OpAttributes(("mode", mode), ("reverse", reverse), ("lengths", lengths));
        Tensor.RecordMany("RecurrentLayer", inputs, attributes, cN is null ? [output, hN] : [output, hN, cN], grads =>
        {
            if (GradMode.IsEnabled) return CompositeGradients(mode, inputs, grads, reverse, lengths);
            var (gOut, gH, gC) = (grads[0], grads[1], grads.Length > 2 ? grads[2] : null);
            var dh = gH is null ? Tensor.Zeros([batch, hidden], x.DType, device) : gH.CloneData();
            var dc = !lstm ? null : gC is null ? Tensor.Zeros([batch, hidden], x.DType, device) : gC.CloneData();
            var gOutC = gOut?.ContiguousData();
            var dP = Tensor.Empty([steps, batch, gates], x.DType, device);
            var dR = gru ? Tensor.Empty([steps, batch, gates], x.DType, device) : dP;
            for (int s = steps - 1; s >= 0; s--)
            {
                int t = reverse ? steps - 1 - s : s, prev = reverse ? t + 1 : t, next = reverse ? t : t + 1;
                int n = Active(lengths, t, batch);
                if (gOutC is not null && n > 0) backend.Axpy(1, gOutC.SelectView(0, t).NarrowView(0, 0, n), dh.NarrowView(0, 0, n));
                var p = proj.SelectView(0, t);
                switch (mode)
                {
                    case RecurrentMode.Lstm: backend.LstmCellBackward(p, cs!.SelectView(0, prev), cs.SelectView(0, next), dh, dc!, dP.SelectView(0, t), n); break;
                    case RecurrentMode.Gru: backend.GruCellBackward(p, recurrent!.SelectView(0, t), hs.SelectView(0, prev), dh, dP.SelectView(0, t), dR.SelectView(0, t), n); break;
                    default: backend.RnnCellBackward(mode == RecurrentMode.RnnRelu, hs.SelectView(0, next), dh, dP.SelectView(0, t), n); break;
                }
                // ∂L/∂h of the running rows through the recurrent GEMM (the GRU adds it to the direct part z ∂L/∂h').
                if (n > 0) Compute.MatMulInto(dR.SelectView(0, t).NarrowView(0, 0, n), wHh, dh.NarrowView(0, 0, n), gru ? 1 : 0);
            }
            var dP2 = dP.ReshapeData([steps * batch, gates]);
            var dR2 = dR.ReshapeData([steps * batch, gates]);
            var gx = x.RequiresGrad ? Compute.MatMul(dP2, wIh).ReshapeData([steps, batch, inSize]) : null;
            var gWih = wIh.RequiresGrad ? Compute.MatMul(dP2.TransposeView(0, 1), xc.ReshapeData([steps * batch, inSize])) : null;
            var gWhh = wHh.RequiresGrad ? Compute.MatMul(dR2.TransposeView(0, 1), hs.NarrowView(0, reverse ? 1 : 0, steps).ReshapeData([steps * batch, hidden])) : null;
            var gbIh = bIh is not null && bIh.RequiresGrad ? Compute.SumTo(dP2, [gates]) : null;
            var gbHh = bHh is not null && bHh.RequiresGrad ? Compute.SumTo(dR2, [gates]) : null;
            Tensor?[] result = [gx, dh, .. lstm ? [dc] : Array.Empty<Tensor?>(), gWih, gWhh, .. bIh is null ? Array.Empty<Tensor?>() : [gbIh, gbHh]];
            return result;
        });
        return (output, hN, cN);
    }

    /// <summary>The gradients of the layer's inputs through its composite form, recorded (so they differentiate again).</summary>
    private static Tensor?[] CompositeGradients(RecurrentMode mode, Tensor[] inputs, Tensor?[] grads, bool reverse, int[]? lengths)
    {
        bool lstm = mode == RecurrentMode.Lstm;
        int k = 0;
        var x = inputs[k++];
        var h0 = inputs[k++];
        var c0 = lstm ? inputs[k++] : null;
        var wIh = inputs[k++];
        var wHh = inputs[k++];
        var bIh = k < inputs.Length ? inputs[k++] : null;
        var bHh = k < inputs.Length ? inputs[k] : null;
        var (o, h, c) = Composite(mode, x, h0, c0, wIh, wHh, bIh, bHh, reverse, lengths);
        Tensor[] outs = c is null ? [o, h] : [o, h, c];
        var roots = new List<Tensor>();
        var seeds = new List<Tensor?>();
        for (int i = 0; i < outs.Length; i++)
            if (grads[i] is not null && outs[i].RequiresGrad) { roots.Add(outs[i]); seeds.Add(grads[i]); }
        var wanted = inputs.Where(t => t.RequiresGrad).ToArray();
        var result = new Tensor?[inputs.Length];
        if (roots.Count == 0 || wanted.Length == 0) return result;
        var g = Engine.Grad(roots, wanted, seeds, retainGraph: true, createGraph: true, allowUnused: true);
        for (int i = 0, j = 0; i < inputs.Length; i++)
            if (inputs[i].RequiresGrad) result[i] = g[j++];
        return result;
    }
}
