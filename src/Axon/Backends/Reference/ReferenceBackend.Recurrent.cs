using System.Numerics;

namespace Axon.Backends;

// The recurrent cells' steps as plain loops over the formulas, one element at a time (contiguous operands).
public sealed partial class ReferenceBackend
{
    /// <inheritdoc/>
    public void LstmCell(Tensor gates, Tensor hPrev, Tensor cPrev, Tensor hNext, Tensor cNext, int active)
    {
        Own(gates, hPrev, cPrev, hNext, cNext);
        if (gates.DType == DType.Float32) Lstm<float>(gates, hPrev, cPrev, hNext, cNext, active);
        else Lstm<double>(gates, hPrev, cPrev, hNext, cNext, active);
    }

    private static void Lstm<T>(Tensor gates, Tensor hPrev, Tensor cPrev, Tensor hNext, Tensor cNext, int active) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (g, h0, c0, h1, c1) = (new Flat<T>(gates), new Flat<T>(hPrev), new Flat<T>(cPrev), new Flat<T>(hNext), new Flat<T>(cNext));
        int batch = hPrev.ShapeArray[0], n = hPrev.ShapeArray[1];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < n; j++)
            {
                int s = b * n + j, k = b * 4 * n + j;
                if (b >= active) { h1[s] = h0[s]; c1[s] = c0[s]; continue; }
                T i = Sigmoid(g[k]), f = Sigmoid(g[k + n]), cell = T.Tanh(g[k + 2 * n]), o = Sigmoid(g[k + 3 * n]);
                (g[k], g[k + n], g[k + 2 * n], g[k + 3 * n]) = (i, f, cell, o);
                c1[s] = f * c0[s] + i * cell;
                h1[s] = o * T.Tanh(c1[s]);
            }
    }

    /// <inheritdoc/>
    public void LstmCellBackward(Tensor gates, Tensor cPrev, Tensor cNext, Tensor dh, Tensor dc, Tensor dGates, int active)
    {
        Own(gates, cPrev, cNext, dh, dc, dGates);
        if (gates.DType == DType.Float32) LstmBackward<float>(gates, cPrev, cNext, dh, dc, dGates, active);
        else LstmBackward<double>(gates, cPrev, cNext, dh, dc, dGates, active);
    }

    private static void LstmBackward<T>(Tensor gates, Tensor cPrev, Tensor cNext, Tensor dh, Tensor dc, Tensor dGates, int active) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (g, c0, c1, dH, dC, dG) = (new Flat<T>(gates), new Flat<T>(cPrev), new Flat<T>(cNext), new Flat<T>(dh), new Flat<T>(dc), new Flat<T>(dGates));
        int batch = cPrev.ShapeArray[0], n = cPrev.ShapeArray[1];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < n; j++)
            {
                int s = b * n + j, k = b * 4 * n + j;
                if (b >= active) { dG[k] = dG[k + n] = dG[k + 2 * n] = dG[k + 3 * n] = T.Zero; continue; }
                T i = g[k], f = g[k + n], cell = g[k + 2 * n], o = g[k + 3 * n], tc = T.Tanh(c1[s]);
                T dcTotal = dC[s] + dH[s] * o * (T.One - tc * tc);
                dG[k] = dcTotal * cell * i * (T.One - i);
                dG[k + n] = dcTotal * c0[s] * f * (T.One - f);
                dG[k + 2 * n] = dcTotal * i * (T.One - cell * cell);
                dG[k + 3 * n] = dH[s] * tc * o * (T.One - o);
                dC[s] = dcTotal * f;
            }
    }

    /// <inheritdoc/>
    public void GruCell(Tensor gx, Tensor gh, Tensor hPrev, Tensor hNext, int active)
    {
        Own(gx, gh, hPrev, hNext);
        if (gx.DType == DType.Float32) Gru<float>(gx, gh, hPrev, hNext, active);
        else Gru<double>(gx, gh, hPrev, hNext, active);
    }

    private static void Gru<T>(Tensor gx, Tensor gh, Tensor hPrev, Tensor hNext, int active) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (x, y, h0, h1) = (new Flat<T>(gx), new Flat<T>(gh), new Flat<T>(hPrev), new Flat<T>(hNext));
        int batch = hPrev.ShapeArray[0], n = hPrev.ShapeArray[1];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < n; j++)
            {
                int s = b * n + j, k = b * 3 * n + j;
                if (b >= active) { h1[s] = h0[s]; continue; }
                T r = Sigmoid(x[k] + y[k]), z = Sigmoid(x[k + n] + y[k + n]);
                T cand = T.Tanh(x[k + 2 * n] + r * y[k + 2 * n]);
                (x[k], x[k + n], x[k + 2 * n]) = (r, z, cand);
                h1[s] = (T.One - z) * cand + z * h0[s];
            }
    }

    /// <inheritdoc/>
    public void GruCellBackward(Tensor gates, Tensor gh, Tensor hPrev, Tensor dh, Tensor dgx, Tensor dgh, int active)
    {
        Own(gates, gh, hPrev, dh, dgx, dgh);
        if (gates.DType == DType.Float32) GruBackward<float>(gates, gh, hPrev, dh, dgx, dgh, active);
        else GruBackward<double>(gates, gh, hPrev, dh, dgx, dgh, active);
    }

    private static void GruBackward<T>(Tensor gates, Tensor gh, Tensor hPrev, Tensor dh, Tensor dgx, Tensor dgh, int active) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (g, y, h0, dH, dX, dY) = (new Flat<T>(gates), new Flat<T>(gh), new Flat<T>(hPrev), new Flat<T>(dh), new Flat<T>(dgx), new Flat<T>(dgh));
        int batch = hPrev.ShapeArray[0], n = hPrev.ShapeArray[1];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < n; j++)
            {
                int s = b * n + j, k = b * 3 * n + j;
                if (b >= active)
                {
                    dX[k] = dX[k + n] = dX[k + 2 * n] = T.Zero;
                    dY[k] = dY[k + n] = dY[k + 2 * n] = T.Zero;
                    continue;
                }
                T r = g[k], z = g[k + n], cand = g[k + 2 * n], d = dH[s];
                T dCandPre = d * (T.One - z) * (T.One - cand * cand);
                T dRPre = dCandPre * y[k + 2 * n] * r * (T.One - r);
                T dZPre = d * (h0[s] - cand) * z * (T.One - z);
                (dX[k], dX[k + n], dX[k + 2 * n]) = (dRPre, dZPre, dCandPre);
                (dY[k], dY[k + n], dY[k + 2 * n]) = (dRPre, dZPre, dCandPre * r);
                dH[s] = d * z;
            }
    }

    /// <inheritdoc/>
    public void RnnCell(bool relu, Tensor pre, Tensor hPrev, Tensor hNext, int active)
    {
        Own(pre, hPrev, hNext);
        if (pre.DType == DType.Float32) Rnn<float>(relu, pre, hPrev, hNext, active);
        else Rnn<double>(relu, pre, hPrev, hNext, active);
    }

    private static void Rnn<T>(bool relu, Tensor pre, Tensor hPrev, Tensor hNext, int active) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (p, h0, h1) = (new Flat<T>(pre), new Flat<T>(hPrev), new Flat<T>(hNext));
        int batch = hPrev.ShapeArray[0], n = hPrev.ShapeArray[1];
        for (int s = 0; s < batch * n; s++)
            h1[s] = s >= active * n ? h0[s] : relu ? (T.IsNaN(p[s]) ? p[s] : T.Max(p[s], T.Zero)) : T.Tanh(p[s]);
    }

    /// <inheritdoc/>
    public void RnnCellBackward(bool relu, Tensor hNext, Tensor dh, Tensor dPre, int active)
    {
        Own(hNext, dh, dPre);
        if (hNext.DType == DType.Float32) RnnBackward<float>(relu, hNext, dh, dPre, active);
        else RnnBackward<double>(relu, hNext, dh, dPre, active);
    }

    private static void RnnBackward<T>(bool relu, Tensor hNext, Tensor dh, Tensor dPre, int active) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (h1, dH, dP) = (new Flat<T>(hNext), new Flat<T>(dh), new Flat<T>(dPre));
        int batch = hNext.ShapeArray[0], n = hNext.ShapeArray[1];
        for (int s = 0; s < batch * n; s++)
            dP[s] = s >= active * n ? T.Zero : relu ? (h1[s] > T.Zero ? dH[s] : T.Zero) : dH[s] * (T.One - h1[s] * h1[s]);
    }

    private static T Sigmoid<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.One / (T.One + T.Exp(-x));

    /// <summary>A contiguous tensor's elements by row-major position.</summary>
    private readonly struct Flat<T>(Tensor t) where T : unmanaged
    {
        private readonly T[] data = t.Data<T>();
        private readonly int offset = t.Offset;

        public ref T this[int i] => ref data[offset + i];
    }
}
