using Axon.Backends;
using Axon.Cuda.Kernels;

namespace Axon.Cuda.Tests.Kernels;

// loss.cu and index.cu against ReferenceBackend.Loss, .BinaryCrossEntropy and .Index.
public class LossIndexKernelTests : KernelTestBase
{
    private static IBackend Ref => Device.Reference.Backend;

    [Fact]
    public void CrossEntropyForwardAndBackward()
    {
        foreach (var d in FloatTypes)
            foreach (var reduction in Enum.GetValues<Reduction>())
                foreach (bool weighted in new[] { false, true })
                {
                    int rows = 37, classes = 300;
                    var x = Rand([classes, rows], d, 100, t => t.T(), lo: -6, hi: 6);   // strided logits [rows, classes]
                    var target = Rand([rows], DType.Int64, 101, lo: 0, hi: classes);
                    var weight = weighted ? Rand([classes], d, 102, lo: 0.1, hi: 2) : (Operand?)null;
                    var loss = Zeros(reduction == Reduction.None ? [rows] : [], d);
                    var lse = Zeros([rows], d);
                    double wsum = Ref.CrossEntropy(x.T, target.T, weight?.T, reduction, loss.T, lse.T);
                    var rowLoss = Alloc(rows * 8L);
                    var rowWeight = Alloc(rows * 8L);
                    var weightSum = Alloc(8);
                    Emu.Launch($"axon_cross_entropy_rows_{Sfx(d)}", rows, x.P, rows, classes, x.T.Strides[0], x.T.Strides[1], target.P, 1,
                        weight?.P, 1, (int)reduction, loss.P, lse.P, rowLoss, rowWeight);
                    Emu.Launch($"axon_cross_entropy_reduce_{Sfx(d)}", rows, rowLoss, rowWeight, rows, (int)reduction, weighted ? 1 : 0, loss.P, weightSum);
                    string what = $"cross-entropy {d} {reduction} weighted {weighted}";
                    double tol = Ulps(d, 16) * Math.Sqrt(classes);
                    Close(what + " lse", lse, tol);
                    Close(what + " loss", Values(loss.T), Download(loss.P, d, loss.T.NumEl), tol * 4, tol);
                    Close(what + " weight sum", [wsum], Download(weightSum, DType.Float64, 1), Ulps(d, 4) * Math.Sqrt(rows));

                    var g = reduction == Reduction.None ? Rand([rows], d, 103) : Make([0.75], [], d);
                    var gx = Zeros([rows, classes], d);
                    var refLse = Make(Values(lse.T), [rows], d);   // the backward checked on its own, from the reference's lse
                    Ref.CrossEntropyBackward(x.T, lse.T, target.T, weight?.T, reduction, wsum, g.T, gx.T);
                    Emu.Launch($"axon_cross_entropy_backward_{Sfx(d)}", (long)rows * classes, x.P, rows, classes, x.T.Strides[0], x.T.Strides[1], refLse.P,
                        target.P, 1, weight?.P, 1, (int)reduction, wsum, g.P, 1, gx.P);
                    Close(what + " backward", gx, Ulps(d, 8), Ulps(d, 8) * 1e-3);
                }
    }

    [Fact]
    public void BinaryCrossEntropyWithLogits()
    {
        foreach (var d in FloatTypes)
        {
            var x = Rand([7, 9], d, 110, t => t.T(), lo: -20, hi: 20);
            var t = Rand([9, 7], d, 111, lo: 0, hi: 1);
            var loss = Zeros([9, 7], d);
            Ref.BinaryCrossEntropyWithLogits(x.T, t.T, loss.T);
            Emu.Launch($"axon_bce_logits_{Sfx(d)}", loss.T.NumEl, Geo(loss.T, x.T, t.T), loss.P, x.P, t.P);
            Close($"bce {d}", loss, Ulps(d, 8), Ulps(d, 8));
            var g = Rand([7], d, 112);
            var gx = Zeros([9, 7], d);
            var gExpanded = g.T.Expand(9, 7);
            Ref.BinaryCrossEntropyWithLogitsBackward(x.T, t.T, gExpanded, gx.T);
            Emu.Launch($"axon_bce_logits_backward_{Sfx(d)}", gx.T.NumEl, Geo(gx.T, x.T, t.T, gExpanded), gx.P, x.P, t.P, g.P);
            Close($"bce backward {d}", gx, Ulps(d, 8), Ulps(d, 8));
        }
    }

    [Fact]
    public void IndexSelectAddGatherScatterEmbedding()
    {
        foreach (var d in new[] { DType.Float32, DType.Float64, DType.Int64 })
        {
            // index_select along dim 1 of a permuted [4, 6, 5] view, with a strided index (repeats included).
            var x = Rand([5, 4, 6], d, 120, t => t.Permute(1, 2, 0), lo: -50, hi: 50);
            var index = Rand([9, 2], DType.Int64, 121, t => t.Select(1, 1), lo: 0, hi: 6);
            var y = Zeros([4, 9, 5], d);
            Ref.IndexSelect(x.T, 1, index.T, y.T);
            var xs = x.T.Strides.ToArray();
            xs[1] = 0;
            Emu.Launch($"axon_index_select_{Sfx(d)}", y.T.NumEl, KernelGeometry.Create(y.T.Shape, y.T.Strides.ToArray(), xs), y.P, x.P, index.P, index.T.Strides[0], 9, 5, x.T.Strides[1]);
            Close($"index_select {d}", y);

            // index_add: dst [4, 6, 5] += src [4, 9, 5] at the index along dim 1 (repeats add in order).
            var dst = Rand([4, 6, 5], d, 122, lo: -50, hi: 50);
            var src = Rand([5, 9, 4], d, 123, t => t.Permute(2, 1, 0), lo: -50, hi: 50);
            Ref.IndexAdd(dst.T, 1, index.T, src.T);
            var cols = KernelGeometry.Create(KernelGeometry.Without(src.T.Shape, 1), KernelGeometry.Without(dst.T.Strides, 1), KernelGeometry.Without(src.T.Strides, 1));
            Emu.Launch($"axon_index_add_{Sfx(d)}", cols.NumEl, cols, dst.P, src.P, index.P, index.T.Strides[0], 9, dst.T.Strides[1], src.T.Strides[1]);
            Close($"index_add {d}", dst);

            // gather and scatter_add along dim 0 with an index of shape [7, 4, 5] into [6, 4, 5].
            var gi = Rand([7, 4, 5], DType.Int64, 124, lo: 0, hi: 6);
            var gx = Zeros([7, 4, 5], d);
            var xg = Rand([4, 5, 6], d, 125, t => t.Permute(2, 0, 1), lo: -50, hi: 50);
            Ref.Gather(xg.T, 0, gi.T, gx.T);
            var xgs = xg.T.Strides.ToArray();
            xgs[0] = 0;
            Emu.Launch($"axon_gather_{Sfx(d)}", gx.T.NumEl, KernelGeometry.Create(gi.T.Shape, gx.T.Strides.ToArray(), xgs, gi.T.Strides.ToArray()), gx.P, xg.P, gi.P, xg.T.Strides[0]);
            Close($"gather {d}", gx);

            var sdst = Rand([6, 4, 5], d, 126, lo: -50, hi: 50);
            var ssrc = Rand([7, 4, 5], d, 127, lo: -50, hi: 50);
            Ref.ScatterAdd(sdst.T, 0, gi.T, ssrc.T);
            var sg = KernelGeometry.Create(KernelGeometry.Without(gi.T.Shape, 0), KernelGeometry.Without(sdst.T.Strides, 0), KernelGeometry.Without(ssrc.T.Strides, 0), KernelGeometry.Without(gi.T.Strides, 0));
            Emu.Launch($"axon_scatter_add_{Sfx(d)}", sg.NumEl, sg, sdst.P, ssrc.P, gi.P, 7, sdst.T.Strides[0], ssrc.T.Strides[0], gi.T.Strides[0]);
            Close($"scatter_add {d}", sdst);

            // embedding backward: gradWeight [10, 33] += grad [25, 33] rows at the index, padding index 3 skipped.
            var gw = Rand([10, 33], d, 128, lo: -50, hi: 50);
            var ei = Rand([25], DType.Int64, 129, lo: 0, hi: 10);
            var grad = Rand([33, 25], d, 130, t => t.T(), lo: -50, hi: 50);
            Ref.EmbeddingBackward(gw.T, ei.T, grad.T, 3);
            Emu.Launch($"axon_embedding_backward_{Sfx(d)}", 33, gw.P, 33, 1, ei.P, 1, 25, grad.P, grad.T.Strides[0], grad.T.Strides[1], 33, 3L);
            Close($"embedding backward {d}", gw);
        }
    }
}
