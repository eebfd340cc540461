using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace Axon.Kernels;

/// <summary>
/// The element-wise half of one time step of the recurrent cells, fused: every gate of a batch row in one pass over its
/// contiguous [G·H] block (PyTorch's gate order), forward and backward. The matrix products around them are GEMMs done
/// by the caller. Layouts: gates [batch, G·hidden], states [batch, hidden], all row-major and contiguous. Rows at and
/// after <c>active</c> belong to sequences that have ended: the forward copies their state through unchanged and the
/// backward gives them zero gate gradients and leaves their state gradients as they are.
/// </summary>
public static class RecurrentCells
{
    /// <summary>
    /// LSTM step. gates holds the pre-activations x W_ihᵀ + b_ih + h W_hhᵀ + b_hh and is overwritten by the activations
    /// (i, f, g, o) = (σ, σ, tanh, σ) for the backward; c' = f c + i g, h' = o tanh(c').
    /// </summary>
    public static void LstmForward<T>(Span<T> gates, ReadOnlySpan<T> hPrev, ReadOnlySpan<T> cPrev, Span<T> hNext, Span<T> cNext, int batch, int hidden, int active)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = hidden;
        for (int b = 0; b < active; b++)
        {
            var g = gates.Slice(b * 4 * h, 4 * h);
            var c0 = cPrev.Slice(b * h, h);
            var c1 = cNext.Slice(b * h, h);
            var h1 = hNext.Slice(b * h, h);
            TensorPrimitives.Sigmoid(g[..(2 * h)], g[..(2 * h)]);
            TensorPrimitives.Tanh(g.Slice(2 * h, h), g.Slice(2 * h, h));
            TensorPrimitives.Sigmoid(g.Slice(3 * h, h), g.Slice(3 * h, h));
            TensorPrimitives.Multiply(g[..h], g.Slice(2 * h, h), c1);                 // i g
            TensorPrimitives.MultiplyAdd(g.Slice(h, h), c0, c1, c1);                  // f c + i g
            TensorPrimitives.Tanh(c1, h1);
            TensorPrimitives.Multiply(g.Slice(3 * h, h), h1, h1);                     // o tanh(c')
        }
        CopyRows(hPrev, hNext, batch, hidden, active);
        CopyRows(cPrev, cNext, batch, hidden, active);
    }

    /// <summary>
    /// LSTM step backward from the activations <paramref name="gates"/>, c and c': dh holds ∂L/∂h' (read), dc holds ∂L/∂c'
    /// and becomes ∂L/∂c; dGates = ∂L/∂(pre-activations). The caller adds dGates W_hh into ∂L/∂h.
    /// </summary>
    public static void LstmBackward<T>(ReadOnlySpan<T> gates, ReadOnlySpan<T> cPrev, ReadOnlySpan<T> cNext, ReadOnlySpan<T> dh, Span<T> dc, Span<T> dGates, int batch, int hidden, int active)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = hidden;
        var tanhC = ArrayPool<T>.Shared.Rent(h);
        try
        {
            for (int b = 0; b < active; b++)
            {
                var g = gates.Slice(b * 4 * h, 4 * h);
                var dg = dGates.Slice(b * 4 * h, 4 * h);
                var tc = tanhC.AsSpan(0, h);
                TensorPrimitives.Tanh(cNext.Slice(b * h, h), tc);
                LstmGateGradients(g[..h], g.Slice(h, h), g.Slice(2 * h, h), g.Slice(3 * h, h), cPrev.Slice(b * h, h), tc, dh.Slice(b * h, h), dc.Slice(b * h, h),
                    dg[..h], dg.Slice(h, h), dg.Slice(2 * h, h), dg.Slice(3 * h, h));
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(tanhC);
        }
        dGates[(active * 4 * h)..(batch * 4 * h)].Clear();
    }

    private static void LstmGateGradients<T>(ReadOnlySpan<T> i, ReadOnlySpan<T> f, ReadOnlySpan<T> g, ReadOnlySpan<T> o, ReadOnlySpan<T> c, ReadOnlySpan<T> tc,
        ReadOnlySpan<T> dh, Span<T> dc, Span<T> di, Span<T> df, Span<T> dg, Span<T> dO)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = i.Length, j = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<T>.Count)
        {
            var one = Vector<T>.One;
            for (; j <= n - Vector<T>.Count; j += Vector<T>.Count)
            {
                var vi = new Vector<T>(i[j..]);
                var vf = new Vector<T>(f[j..]);
                var vg = new Vector<T>(g[j..]);
                var vo = new Vector<T>(o[j..]);
                var vt = new Vector<T>(tc[j..]);
                var vdh = new Vector<T>(dh[j..]);
                var dct = new Vector<T>(dc[j..]) + vdh * vo * (one - vt * vt);
                (dct * vg * vi * (one - vi)).CopyTo(di[j..]);
                (dct * new Vector<T>(c[j..]) * vf * (one - vf)).CopyTo(df[j..]);
                (dct * vi * (one - vg * vg)).CopyTo(dg[j..]);
                (vdh * vt * vo * (one - vo)).CopyTo(dO[j..]);
                (dct * vf).CopyTo(dc[j..]);
            }
        }
        for (; j < n; j++)
        {
            T dct = dc[j] + dh[j] * o[j] * (T.One - tc[j] * tc[j]);
            di[j] = dct * g[j] * i[j] * (T.One - i[j]);
            df[j] = dct * c[j] * f[j] * (T.One - f[j]);
            dg[j] = dct * i[j] * (T.One - g[j] * g[j]);
            dO[j] = dh[j] * tc[j] * o[j] * (T.One - o[j]);
            dc[j] = dct * f[j];
        }
    }

    /// <summary>
    /// GRU step. gx holds x W_ihᵀ + b_ih and is overwritten by the activations (r, z, n); gh holds h W_hhᵀ + b_hh (kept:
    /// the backward reads its n block). r, z = σ(gx + gh), n = tanh(gx_n + r gh_n), h' = (1 − z) n + z h.
    /// </summary>
    public static void GruForward<T>(Span<T> gx, ReadOnlySpan<T> gh, ReadOnlySpan<T> hPrev, Span<T> hNext, int batch, int hidden, int active)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = hidden;
        for (int b = 0; b < active; b++)
        {
            var x = gx.Slice(b * 3 * h, 3 * h);
            var y = gh.Slice(b * 3 * h, 3 * h);
            TensorPrimitives.Add(x[..(2 * h)], y[..(2 * h)], x[..(2 * h)]);
            TensorPrimitives.Sigmoid(x[..(2 * h)], x[..(2 * h)]);
            var n = x.Slice(2 * h, h);
            TensorPrimitives.MultiplyAdd(x[..h], y.Slice(2 * h, h), n, n);            // gx_n + r gh_n
            TensorPrimitives.Tanh(n, n);
            var z = x.Slice(h, h);
            var h0 = hPrev.Slice(b * h, h);
            var h1 = hNext.Slice(b * h, h);
            for (int j = 0; j < h; j++) h1[j] = (T.One - z[j]) * n[j] + z[j] * h0[j];
        }
        CopyRows(hPrev, hNext, batch, hidden, active);
    }

    /// <summary>
    /// GRU step backward from the activations <paramref name="gates"/> (r, z, n), gh and h: dh holds ∂L/∂h' and becomes
    /// its direct part z ∂L/∂h'; dgx and dgh are the gradients of x W_ihᵀ + b_ih and of h W_hhᵀ + b_hh (the caller adds
    /// dgh W_hh into dh).
    /// </summary>
    public static void GruBackward<T>(ReadOnlySpan<T> gates, ReadOnlySpan<T> gh, ReadOnlySpan<T> hPrev, Span<T> dh, Span<T> dgx, Span<T> dgh, int batch, int hidden, int active)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = hidden;
        for (int b = 0; b < active; b++)
        {
            int g0 = b * 3 * h, s0 = b * h;
            for (int j = 0; j < h; j++)
            {
                T r = gates[g0 + j], z = gates[g0 + h + j], n = gates[g0 + 2 * h + j], d = dh[s0 + j];
                T dnPre = d * (T.One - z) * (T.One - n * n);
                T drPre = dnPre * gh[g0 + 2 * h + j] * r * (T.One - r);
                T dzPre = d * (hPrev[s0 + j] - n) * z * (T.One - z);
                dgx[g0 + j] = drPre;
                dgx[g0 + h + j] = dzPre;
                dgx[g0 + 2 * h + j] = dnPre;
                dgh[g0 + j] = drPre;
                dgh[g0 + h + j] = dzPre;
                dgh[g0 + 2 * h + j] = dnPre * r;
                dh[s0 + j] = d * z;
            }
        }
        dgx[(active * 3 * h)..(batch * 3 * h)].Clear();
        dgh[(active * 3 * h)..(batch * 3 * h)].Clear();
    }

    /// <summary>Elman step: h' = tanh(pre) or relu(pre) for the pre-activations x W_ihᵀ + b_ih + h W_hhᵀ + b_hh.</summary>
    public static void RnnForward<T>(bool relu, ReadOnlySpan<T> pre, ReadOnlySpan<T> hPrev, Span<T> hNext, int batch, int hidden, int active)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = active * hidden;
        if (relu) TensorPrimitives.Max(pre[..n], T.Zero, hNext[..n]);
        else TensorPrimitives.Tanh(pre[..n], hNext[..n]);
        CopyRows(hPrev, hNext, batch, hidden, active);
    }

    /// <summary>Elman step backward from the output h': dPre = dh (1 − h'²) for tanh, dh [h' &gt; 0] for relu.</summary>
    public static void RnnBackward<T>(bool relu, ReadOnlySpan<T> hNext, ReadOnlySpan<T> dh, Span<T> dPre, int batch, int hidden, int active)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = active * hidden;
        for (int j = 0; j < n; j++)
            dPre[j] = relu ? (hNext[j] > T.Zero ? dh[j] : T.Zero) : dh[j] * (T.One - hNext[j] * hNext[j]);
        dPre[n..(batch * hidden)].Clear();
    }

    private static void CopyRows<T>(ReadOnlySpan<T> from, Span<T> to, int batch, int hidden, int active) where T : unmanaged
    {
        if (active < batch) from[(active * hidden)..(batch * hidden)].CopyTo(to[(active * hidden)..(batch * hidden)]);
    }
}
