using Axon.Backends;
using Axon.Kernels;
using static Axon.Cuda.Tests.Kernels.EmulatedPrimitiveTests;

namespace Axon.Cuda.Tests.Kernels;

/// <summary>Losses, indexing, pooling, batch norm, recurrent cells and optimisers of <see cref="KernelPrimitives"/> on the emulated device.</summary>
public class EmulatedNnPrimitiveTests : KernelTestBase
{
    private static IBackend Ref => Device.Reference.Backend;
    private readonly EmuDevice dev = new();
    private readonly KernelPrimitives k;

    public EmulatedNnPrimitiveTests() => k = new KernelPrimitives(dev);

    [Fact]
    public void CrossEntropyAndBinaryCrossEntropy()
    {
        foreach (var d in FloatTypes)
            foreach (var reduction in Enum.GetValues<Reduction>())
                foreach (bool weighted in new[] { false, true })
                {
                    int rows = 37, classes = 300;
                    var x = R([classes, rows], d, 100, -6, 6).T();
                    var target = R([rows], DType.Int64, 101, 0, classes);
                    var weight = weighted ? R([classes], d, 102, 0.1, 2) : null;
                    int[] ls = reduction == Reduction.None ? [rows] : [];
                    var (le, ly, se, sy) = (Z(ls, d), Z(ls, d), Z([rows], d), Z([rows], d));
                    double we = Ref.CrossEntropy(x, target, weight, reduction, le, se);
                    double wy = k.CrossEntropy(x, target, weight, reduction, ly, sy);
                    string what = $"CrossEntropy {d} {reduction} weighted {weighted}";
                    double tol = Ulps(d, 16) * Math.Sqrt(classes);
                    Same(what + " lse", se, sy, tol);
                    Same(what + " loss", le, ly, tol * 4, tol);
                    Close(what + " weight sum", [we], [wy], Ulps(d, 4) * Math.Sqrt(rows));
                    var g = reduction == Reduction.None ? R([rows], d, 103) : Tensor.Scalar(0.75, d, Device.Reference);
                    var (ge, gy) = (Z([rows, classes], d), Z([rows, classes], d));
                    Ref.CrossEntropyBackward(x, se, target, weight, reduction, we, g, ge);
                    k.CrossEntropyBackward(x, se, target, weight, reduction, we, g, gy);
                    Same(what + " backward", ge, gy, Ulps(d, 8), Ulps(d, 8) * 1e-3);
                }
        var bad = Tensor.FromArray(new long[] { 1, 5, 2 }, [3]).To(Device.Reference);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => k.CrossEntropy(R([3, 4], DType.Float32, 1), bad, null, Reduction.Mean, Z([], DType.Float32), Z([3], DType.Float32)));
        Assert.StartsWith("CrossEntropy: class index 5 is out of bounds for 4 classes.", e.Message);

        foreach (var d in FloatTypes)
        {
            var (x, t) = (R([7, 9], d, 110, -20, 20).T(), R([9, 7], d, 111, 0, 1));
            var (le, ly) = (Z([9, 7], d), Z([9, 7], d));
            Ref.BinaryCrossEntropyWithLogits(x, t, le);
            k.BinaryCrossEntropyWithLogits(x, t, ly);
            Same($"BCE {d}", le, ly, Ulps(d, 8), Ulps(d, 8));
            var g = R([7], d, 112).Expand(9, 7);
            Ref.BinaryCrossEntropyWithLogitsBackward(x, t, g, le);
            k.BinaryCrossEntropyWithLogitsBackward(x, t, g, ly);
            Same($"BCE backward {d}", le, ly, Ulps(d, 8), Ulps(d, 8));
        }
    }

    [Fact]
    public void IndexingWithChecksBeforeWriting()
    {
        foreach (var d in AllTypes)
        {
            var x = R([5, 4, 6], d, 120, -50, 50).Permute(1, 2, 0);
            var index = R([9, 2], DType.Int64, 121, 0, 6).Select(1, 1);
            var (e, y) = (Z([4, 9, 5], d), Z([4, 9, 5], d));
            Ref.IndexSelect(x, 1, index, e);
            k.IndexSelect(x, 1, index, y);
            Same($"IndexSelect {d}", e, y);

            var (d1, d2) = (R([4, 6, 5], d, 122, -50, 50), R([4, 6, 5], d, 122, -50, 50));
            var src = R([5, 9, 4], d, 123, -50, 50).Permute(2, 1, 0);
            Ref.IndexAdd(d1, 1, index, src);
            k.IndexAdd(d2, 1, index, src);
            Same($"IndexAdd {d}", d1, d2);

            var gi = R([7, 4, 5], DType.Int64, 124, 0, 6);
            var xg = R([4, 5, 6], d, 125, -50, 50).Permute(2, 0, 1);
            var (ge, gy) = (Z([7, 4, 5], d), Z([7, 4, 5], d));
            Ref.Gather(xg, 0, gi, ge);
            k.Gather(xg, 0, gi, gy);
            Same($"Gather {d}", ge, gy);

            var (s1, s2) = (R([6, 4, 5], d, 126, -50, 50), R([6, 4, 5], d, 126, -50, 50));
            var ss = R([7, 4, 5], d, 127, -50, 50);
            Ref.ScatterAdd(s1, 0, gi, ss);
            k.ScatterAdd(s2, 0, gi, ss);
            Same($"ScatterAdd {d}", s1, s2);

            var (w1, w2) = (R([10, 33], d, 128, -50, 50), R([10, 33], d, 128, -50, 50));
            var ei = R([25], DType.Int64, 129, 0, 10);
            var grad = R([33, 25], d, 130, -50, 50).T();
            Ref.EmbeddingBackward(w1, ei, grad, 3);
            k.EmbeddingBackward(w2, ei, grad, 3);
            Same($"EmbeddingBackward {d}", w1, w2);
        }
        var bad = Tensor.FromArray(new long[] { 0, 2, -1, 7 }, [4]).To(Device.Reference);
        var target = Z([3, 4], DType.Float32);
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => k.IndexSelect(R([3, 6], DType.Float32, 1), 1, bad, target));
        Assert.StartsWith("IndexSelect: index -1 is out of range for dimension 1 of size 6.", e1.Message);
        var big = Tensor.FromArray(new long[] { 0, 2, 9, 7 }, [1, 4]).To(Device.Reference);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => k.ScatterAdd(target, 1, big, R([1, 4], DType.Float32, 2)));
        Assert.StartsWith("ScatterAdd: index 9 is out of bounds for dimension 1 with size 4.", e2.Message);
        Assert.All(target.ToArray<float>(), v => Assert.Equal(0f, v));
    }

    private static Window2d Window(int c, int h, int w, int kk, int s, int pad, int dil) =>
        new(c, h, w, kk, kk, s, s, pad, pad, dil, dil, (h + 2 * pad - dil * (kk - 1) - 1) / s + 1, (w + 2 * pad - dil * (kk - 1) - 1) / s + 1);

    [Fact]
    public void PoolingForwardAndBackward()
    {
        foreach (var d in FloatTypes)
        {
            var win = Window(3, 9, 11, 3, 2, 1, 1);
            var x = R([2, 9, 11, 3], d, 140, specials: true).Permute(0, 3, 1, 2);
            int[] ys = [2, 3, win.OutH, win.OutW];
            var (e, y) = (Z(ys, d), Z(ys, d));
            var ea = Ref.MaxPool2d(x, win, e, true)!;
            var ya = k.MaxPool2d(x, win, y, true)!;
            Same($"MaxPool2d {d}", e, y);
            var (ie, iy) = (Z(ys, DType.Int64), Z(ys, DType.Int64));
            Ref.MaxPool2dIndices(ea, ie);
            k.MaxPool2dIndices(ya, iy);
            Same($"MaxPool2dIndices {d}", ie, iy);
            var gy = R([2, win.OutW, 3, win.OutH], d, 141).Permute(0, 2, 3, 1);
            var (gxe, gxy) = (R([2, 3, 9, 11], d, 1), R([2, 3, 9, 11], d, 1));   // garbage: overwritten
            Ref.MaxPool2dBackward(gy, ea, win, gxe);
            k.MaxPool2dBackward(gy, ya, win, gxy);
            Same($"MaxPool2dBackward {d}", gxe, gxy);
            Ref.MaxPool2dGather(x, ea, win, e);
            k.MaxPool2dGather(x, ya, win, y);
            Same($"MaxPool2dGather {d}", e, y);
            foreach (bool include in new[] { false, true })
            {
                Ref.AvgPool2d(x, win, include, false, e);
                k.AvgPool2d(x, win, include, false, y);
                Same($"AvgPool2d {d} include {include}", e, y);
                Ref.AvgPool2dBackward(gy, win, include, false, gxe);
                k.AvgPool2dBackward(gy, win, include, false, gxy);
                Same($"AvgPool2dBackward {d} include {include}", gxe, gxy);
            }
        }
    }

    [Fact]
    public void BatchNormPlainFusedAndBackward()
    {
        foreach (var d in FloatTypes)
            foreach (bool training in new[] { true, false })
                foreach (bool fused in new[] { false, true })
                {
                    int n = 5, c = 3, h = 7, w = 9;
                    var x = R([n, h, w, c], d, 160, -2, 5).Permute(0, 3, 1, 2);
                    var (weight, bias, residual) = (R([c], d, 161), R([c], d, 162), R([n, c, h, w], d, 165));
                    var (rm1, rv1, rm2, rv2) = (R([c], d, 163), R([c], d, 164, 0.5, 2), R([c], d, 163), R([c], d, 164, 0.5, 2));
                    var (ye, yy) = (Z([n, c, h, w], d), Z([n, c, h, w], d));
                    var (me, ie, my, iy) = (Z([c], DType.Float64), Z([c], DType.Float64), Z([c], DType.Float64), Z([c], DType.Float64));
                    string what = $"BatchNorm {d} training {training} fused {fused}";
                    if (fused)
                    {
                        Ref.BatchNormAct(x, weight, bias, rm1, rv1, training, 0.1, 1e-5, residual, true, ye, me, ie);
                        k.BatchNormAct(x, weight, bias, rm2, rv2, training, 0.1, 1e-5, residual, true, yy, my, iy);
                    }
                    else
                    {
                        Ref.BatchNorm(x, weight, bias, rm1, rv1, training, 0.1, 1e-5, ye, me, ie);
                        k.BatchNormAct(x, weight, bias, rm2, rv2, training, 0.1, 1e-5, null, false, yy, my, iy);
                    }
                    Same(what + " mean", me, my, 1e-14, 1e-15);
                    Same(what + " invstd", ie, iy, 1e-13);
                    Same(what + " running mean", rm1, rm2, Ulps(d, 2));
                    Same(what + " running var", rv1, rv2, Ulps(d, 2));
                    Same(what + " y", ye, yy, Ulps(d, 2), 1e-13);
                    if (fused) continue;
                    var gy = R([n, c, h, w], d, 166);
                    var (gxe, gwe, gbe, gxy, gwy, gby) = (Z([n, c, h, w], d), Z([c], d), Z([c], d), Z([n, c, h, w], d), Z([c], d), Z([c], d));
                    Ref.BatchNormBackward(x, gy, me, ie, weight, training, gxe, gwe, gbe);
                    k.BatchNormBackward(x, gy, me, ie, weight, training, gxy, gwy, gby);
                    Same(what + " gx", gxe, gxy, Ulps(d, 2), 1e-12);
                    Same(what + " gw", gwe, gwy, Ulps(d, 2), 1e-12);
                    Same(what + " gb", gbe, gby, Ulps(d, 2), 1e-12);
                }
    }

    [Fact]
    public void RecurrentCells()
    {
        foreach (var d in FloatTypes)
        {
            int b = 5, h = 13, active = 3;
            var (g1, g2) = (R([b, 4 * h], d, 170), R([b, 4 * h], d, 170));
            var (h0, c0) = (R([b, h], d, 171), R([b, h], d, 172));
            var (h1, c1, h2, c2) = (Z([b, h], d), Z([b, h], d), Z([b, h], d), Z([b, h], d));
            Ref.LstmCell(g1, h0, c0, h1, c1, active);
            k.LstmCell(g2, h0, c0, h2, c2, active);
            Same($"LstmCell gates {d}", g1, g2, Ulps(d));
            Same($"LstmCell h {d}", h1, h2, Ulps(d));
            Same($"LstmCell c {d}", c1, c2, Ulps(d));
            var dh = R([b, h], d, 173);
            var (dc1, dc2, dg1, dg2) = (R([b, h], d, 174), R([b, h], d, 174), Z([b, 4 * h], d), Z([b, 4 * h], d));
            Ref.LstmCellBackward(g1, c0, c1, dh, dc1, dg1, active);
            k.LstmCellBackward(g1, c0, c1, dh, dc2, dg2, active);
            Same($"LstmCellBackward {d}", dg1, dg2, Ulps(d));
            Same($"LstmCellBackward dc {d}", dc1, dc2, Ulps(d));

            var (x1, x2, gh) = (R([b, 3 * h], d, 175), R([b, 3 * h], d, 175), R([b, 3 * h], d, 176));
            Ref.GruCell(x1, gh, h0, h1, active);
            k.GruCell(x2, gh, h0, h2, active);
            Same($"GruCell {d}", h1, h2, Ulps(d));
            var (dh1, dh2) = (R([b, h], d, 173), R([b, h], d, 173));
            var (a1, a2, b1, b2) = (Z([b, 3 * h], d), Z([b, 3 * h], d), Z([b, 3 * h], d), Z([b, 3 * h], d));
            Ref.GruCellBackward(x1, gh, h0, dh1, a1, b1, active);
            k.GruCellBackward(x1, gh, h0, dh2, a2, b2, active);
            Same($"GruCellBackward dgx {d}", a1, a2, Ulps(d));
            Same($"GruCellBackward dgh {d}", b1, b2, Ulps(d));
            Same($"GruCellBackward dh {d}", dh1, dh2, Ulps(d));
            foreach (bool relu in new[] { false, true })
            {
                var pre = R([b, h], d, 177, specials: true);
                Ref.RnnCell(relu, pre, h0, h1, active);
                k.RnnCell(relu, pre, h0, h2, active);
                Same($"RnnCell relu {relu} {d}", h1, h2, Ulps(d));
                Ref.RnnCellBackward(relu, h1, dh, c1, active);
                k.RnnCellBackward(relu, h1, dh, c2, active);
                Same($"RnnCellBackward relu {relu} {d}", c1, c2, Ulps(d));
            }
        }
    }

    [Fact]
    public void OptimiserStepsEqualTheReferenceToTheBit()
    {
        const int n = 531;
        foreach (var d in FloatTypes)
            foreach (bool alt in new[] { false, true })
            {
                Tensor P(int seed) => R([n], d, seed);
                Tensor Pos(int seed) => R([n], d, seed, 0.01, 1);
                var g = P(180);
                void Both(string name, Action<Side> step, params Func<Tensor>[] states)
                {
                    var e = states.Select(s => s()).ToArray();
                    var y = states.Select(s => s()).ToArray();
                    step(new Side(Ref, null, e));
                    step(new Side(null, k, y));
                    for (int i = 0; i < e.Length; i++) Same($"{name} {d} alt {alt} state {i}", e[i], y[i]);
                }
                var sgd = new SgdUpdate(0.1, alt ? 0.01 : 0, 0.9, alt ? 0.1 : 0, alt, alt, alt);
                Both("Sgd", b => b.Do(r => r.SgdStep(b[0], g, b[1], sgd), q => q.SgdStep(b[0], g, b[1], sgd)), () => P(181), () => P(182));
                var adam = new AdamUpdate(0.9, 0.999, 1e-8, alt ? 0 : 0.01, alt ? 0.999 : 1, 0.01, 0.3, alt);
                Both("Adam", b => b.Do(r => r.AdamStep(b[0], g, b[1], b[2], alt ? b[3] : null, adam), q => q.AdamStep(b[0], g, b[1], b[2], alt ? b[3] : null, adam)),
                    () => P(183), () => P(184), () => Pos(185), () => Pos(186));
                var ag = new AdagradUpdate(0.05, alt ? 0.01 : 0, 1e-10, alt);
                Both("Adagrad", b => b.Do(r => r.AdagradStep(b[0], g, b[1], ag), q => q.AdagradStep(b[0], g, b[1], ag)), () => P(187), () => Pos(188));
                var rms = new RmsPropUpdate(0.01, 0.99, 1e-8, alt ? 0.01 : 0, alt ? 0.9 : 0, alt);
                Both("RmsProp", b => b.Do(r => r.RmsPropStep(b[0], g, b[1], alt ? b[2] : null, alt ? b[3] : null, rms), q => q.RmsPropStep(b[0], g, b[1], alt ? b[2] : null, alt ? b[3] : null, rms)),
                    () => P(189), () => Pos(190), () => P(191), () => R([n], d, 192, -0.05, 0.05));
                var ad = new AdadeltaUpdate(1.0, 0.9, 1e-6, alt ? 0.01 : 0, alt);
                Both("Adadelta", b => b.Do(r => r.AdadeltaStep(b[0], g, b[1], b[2], ad), q => q.AdadeltaStep(b[0], g, b[1], b[2], ad)), () => P(193), () => Pos(194), () => Pos(195));
                var asgd = new AsgdUpdate(alt ? 0.01 : 0, 0.9999, 0.01, alt ? 1 : 0.5, alt);
                Both("Asgd", b => b.Do(r => r.AsgdStep(b[0], g, b[1], asgd), q => q.AsgdStep(b[0], g, b[1], asgd)), () => P(196), () => P(197));
                var avs = new AveragedSgdUpdate(0.05, alt ? 0.01 : 0, alt ? 1 : 0.3);
                Both("AveragedSgd", b => b.Do(r => r.AveragedSgdStep(b[0], g, b[1], avs), q => q.AveragedSgdStep(b[0], g, b[1], avs)), () => P(198), () => P(199));
            }
    }

    /// <summary>One side of an optimiser comparison: the reference backend or the kernels, with that side's state tensors.</summary>
    internal sealed class Side(IBackend? reference, KernelPrimitives? kernels, Tensor[] states)
    {
        public Tensor this[int i] => states[i];

        public void Do(Action<IBackend> onReference, Action<KernelPrimitives> onKernels)
        {
            if (reference is not null) onReference(reference);
            else onKernels(kernels!);
        }
    }
}
