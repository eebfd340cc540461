using Axon.Backends;
using Axon.Cuda.Kernels;
using Axon.Kernels;

namespace Axon.Cuda.Tests.Kernels;

// pool.cu, batchnorm.cu, recurrent.cu and optim.cu against the reference backend.
public class NnKernelTests : KernelTestBase
{
    private static IBackend Ref => Device.Reference.Backend;

    private static Window2d Window(int c, int h, int w, int k, int s, int pad, int dil) =>
        new(c, h, w, k, k, s, s, pad, pad, dil, dil, (h + 2 * pad - dil * (k - 1) - 1) / s + 1, (w + 2 * pad - dil * (k - 1) - 1) / s + 1);

    [Fact]
    public void MaxPoolForwardBackwardGather()
    {
        foreach (var d in FloatTypes)
            foreach (var (k, s, pad, dil) in new[] { (3, 2, 1, 1), (2, 1, 0, 2), (3, 3, 1, 1) })
            {
                var win = Window(3, 9, 11, k, s, pad, dil);
                var values = Random(2 * 3 * 9 * 11, 140 + k, specials: true).Select(v => Math.Round(v)).ToArray();   // ties
                var x = Make(values, [2, 9, 11, 3], d, t => t.Permute(0, 3, 1, 2));
                var y = Zeros([2, 3, win.OutH, win.OutW], d);
                var argmax = Ref.MaxPool2d(x.T, win, y.T, true)!;
                var am = Zeros(y.T.GetShape(), DType.Int64);
                var p = KernelPool2d.Create(2, win, x.T.Strides, y.T.Strides);
                Emu.Launch($"axon_maxpool2d_{Sfx(d)}", y.T.NumEl, p, x.P, y.P, am.P);
                Close($"maxpool {d} k{k}", y);
                Close($"maxpool argmax {d} k{k}", Values(argmax), Download(am.P, DType.Int64, y.T.NumEl));

                var gy = Rand([2, win.OutW, 3, win.OutH], d, 141, t => t.Permute(0, 2, 3, 1));
                var gx = Zeros([2, 3, 9, 11], d);
                Ref.MaxPool2dBackward(gy.T, argmax, win, gx.T);
                Emu.Launch($"axon_maxpool2d_backward_{Sfx(d)}", gx.T.NumEl, KernelPool2d.Create(2, win, gx.T.Strides, gy.T.Strides), gy.P, am.P, gx.P);
                Close($"maxpool backward {d} k{k}", gx);

                var yg = Zeros(y.T.GetShape(), d);
                Ref.MaxPool2dGather(x.T, argmax, win, yg.T);
                Emu.Launch($"axon_maxpool2d_gather_{Sfx(d)}", yg.T.NumEl, p, x.P, am.P, yg.P);
                Close($"maxpool gather {d} k{k}", yg);
            }
    }

    [Fact]
    public void AvgPoolForwardBackwardPaddedAndAdaptive()
    {
        foreach (var d in FloatTypes)
            foreach (var (win, adaptive) in new[] { (Window(3, 9, 11, 3, 2, 1, 1), false), (Window(3, 9, 11, 2, 2, 0, 1), false), (new Window2d(3, 9, 11, 1, 1, 1, 1, 0, 0, 1, 1, 4, 5), true) })
                foreach (bool include in new[] { false, true })
                {
                    var x = Rand([2, 9, 11, 3], d, 150, t => t.Permute(0, 3, 1, 2));
                    var y = Zeros([2, 3, win.OutH, win.OutW], d);
                    Ref.AvgPool2d(x.T, win, include, adaptive, y.T);
                    Emu.Launch($"axon_avgpool2d_{Sfx(d)}", y.T.NumEl, KernelPool2d.Create(2, win, x.T.Strides, y.T.Strides), include ? 1 : 0, adaptive ? 1 : 0, x.P, y.P);
                    Close($"avgpool {d} adaptive {adaptive} include {include}", y);
                    var gy = Rand([2, 3, win.OutH, win.OutW], d, 151);
                    var gx = Zeros([2, 3, 9, 11], d);
                    Ref.AvgPool2dBackward(gy.T, win, include, adaptive, gx.T);
                    Emu.Launch($"axon_avgpool2d_backward_{Sfx(d)}", gx.T.NumEl, KernelPool2d.Create(2, win, gx.T.Strides, gy.T.Strides), include ? 1 : 0, adaptive ? 1 : 0, gy.P, gx.P);
                    Close($"avgpool backward {d} adaptive {adaptive} include {include}", gx);
                }
    }

    [Fact]
    public void BatchNormTrainingFusedActAndBackward()
    {
        foreach (var d in FloatTypes)
            foreach (bool training in new[] { true, false })
            {
                int n = 5, c = 3, h = 7, w = 9, s = h * w;
                var x = Rand([n, h, w, c], d, 160, t => t.Permute(0, 3, 1, 2), lo: -2, hi: 5);
                var weight = Rand([c], d, 161);
                var bias = Rand([c], d, 162);
                var rm = Rand([c], d, 163);
                var rv = Rand([c], d, 164, lo: 0.5, hi: 2);
                var residual = Rand([n, c, h, w], d, 165);
                var y = Zeros([n, c, h, w], d);
                var mean = Zeros([c], DType.Float64);
                var invStd = Zeros([c], DType.Float64);
                Ref.BatchNormAct(x.T, weight.T, bias.T, rm.T, rv.T, training, 0.1, 1e-5, residual.T, true, y.T, mean.T, invStd.T);
                var gX = KernelGeometry.Create(x.T.Shape, x.T.Strides.ToArray());
                Emu.Launch($"axon_batch_norm_stats_{Sfx(d)}", c, gX, x.P, n, c, s, training ? 1 : 0, 0.1, 1e-5, rm.P, rv.P, mean.P, invStd.P);
                var gApply = KernelGeometry.Create(x.T.Shape, y.T.Strides.ToArray(), x.T.Strides.ToArray(), residual.T.Strides.ToArray());
                Emu.Launch($"axon_batch_norm_apply_{Sfx(d)}", y.T.NumEl, gApply, y.P, x.P, residual.P, c, s, mean.P, invStd.P, weight.P, bias.P, 1);
                string what = $"batch norm {d} training {training}";
                Close(what + " mean", mean, 1e-14, 1e-15);
                Close(what + " invstd", invStd, 1e-13);
                Close(what + " running mean", rm, Ulps(d, 2));
                Close(what + " running var", rv, Ulps(d, 2));
                Close(what + " y", y, Ulps(d, 2), 1e-13);

                var gy = Rand([n, c, h, w], d, 166);
                var gx = Zeros([n, c, h, w], d);
                var gw = Zeros([c], d);
                var gb = Zeros([c], d);
                Ref.BatchNormBackward(x.T, gy.T, mean.T, invStd.T, weight.T, training, gx.T, gw.T, gb.T);
                var sums = Alloc(16L * c);
                Emu.Launch($"axon_batch_norm_backward_reduce_{Sfx(d)}", c, KernelGeometry.Create(x.T.Shape, x.T.Strides.ToArray(), gy.T.Strides.ToArray()),
                    x.P, gy.P, n, c, s, mean.P, invStd.P, gw.P, gb.P, sums);
                Emu.Launch($"axon_batch_norm_backward_input_{Sfx(d)}", gx.T.NumEl, KernelGeometry.Create(x.T.Shape, gx.T.Strides.ToArray(), x.T.Strides.ToArray(), gy.T.Strides.ToArray()),
                    gx.P, x.P, gy.P, c, s, (double)n * s, mean.P, invStd.P, weight.P, training ? 1 : 0, sums);
                Close(what + " gw", gw, Ulps(d, 2), 1e-12);
                Close(what + " gb", gb, Ulps(d, 2), 1e-12);
                Close(what + " gx", gx, Ulps(d, 2), 1e-12);
            }
    }

    [Fact]
    public void RecurrentCellsForwardAndBackward()
    {
        foreach (var d in FloatTypes)
        {
            int b = 5, h = 13, active = 3;
            var gates = Rand([b, 4 * h], d, 170);
            var h0 = Rand([b, h], d, 171);
            var c0 = Rand([b, h], d, 172);
            var h1 = Zeros([b, h], d);
            var c1 = Zeros([b, h], d);
            Ref.LstmCell(gates.T, h0.T, c0.T, h1.T, c1.T, active);
            Emu.Launch($"axon_lstm_cell_{Sfx(d)}", b * h, b, h, active, gates.P, h0.P, c0.P, h1.P, c1.P);
            Close($"lstm gates {d}", gates, Ulps(d));
            Close($"lstm h {d}", h1, Ulps(d));
            Close($"lstm c {d}", c1, Ulps(d));
            var dh = Rand([b, h], d, 173);
            var dc = Rand([b, h], d, 174);
            var dg = Zeros([b, 4 * h], d);
            Ref.LstmCellBackward(gates.T, c0.T, c1.T, dh.T, dc.T, dg.T, active);
            Emu.Launch($"axon_lstm_cell_backward_{Sfx(d)}", b * h, b, h, active, gates.P, c0.P, c1.P, dh.P, dc.P, dg.P);
            Close($"lstm dgates {d}", dg, Ulps(d));
            Close($"lstm dc {d}", dc, Ulps(d));

            var gx = Rand([b, 3 * h], d, 175);
            var gh = Rand([b, 3 * h], d, 176);
            var hn = Zeros([b, h], d);
            Ref.GruCell(gx.T, gh.T, h0.T, hn.T, active);
            Emu.Launch($"axon_gru_cell_{Sfx(d)}", b * h, b, h, active, gx.P, gh.P, h0.P, hn.P);
            Close($"gru gates {d}", gx, Ulps(d));
            Close($"gru h {d}", hn, Ulps(d));
            var dgx = Zeros([b, 3 * h], d);
            var dgh = Zeros([b, 3 * h], d);
            Ref.GruCellBackward(gx.T, gh.T, h0.T, dh.T, dgx.T, dgh.T, active);
            Emu.Launch($"axon_gru_cell_backward_{Sfx(d)}", b * h, b, h, active, gx.P, gh.P, h0.P, dh.P, dgx.P, dgh.P);
            Close($"gru dgx {d}", dgx, Ulps(d));
            Close($"gru dgh {d}", dgh, Ulps(d));
            Close($"gru dh {d}", dh, Ulps(d));

            foreach (bool relu in new[] { false, true })
            {
                var pre = Rand([b, h], d, 177, specials: true);
                var hr = Zeros([b, h], d);
                Ref.RnnCell(relu, pre.T, h0.T, hr.T, active);
                Emu.Launch($"axon_rnn_cell_{Sfx(d)}", b * h, relu ? 1 : 0, b * h, active * h, pre.P, h0.P, hr.P);
                Close($"rnn relu {relu} {d}", hr, Ulps(d));
                var dp = Zeros([b, h], d);
                Ref.RnnCellBackward(relu, hr.T, dh.T, dp.T, active);
                Emu.Launch($"axon_rnn_cell_backward_{Sfx(d)}", b * h, relu ? 1 : 0, b * h, active * h, hr.P, dh.P, dp.P);
                Close($"rnn backward relu {relu} {d}", dp, Ulps(d));
            }
        }
    }

    /// <summary>A coefficient rounded to the parameter's type, as the runtime passes it.</summary>
    private static object C(DType d, double v) => d == DType.Float32 ? (object)(float)v : v;

    [Fact]
    public void OptimiserStepsMatchTheReferenceToTheBit()
    {
        const int n = 531;
        foreach (var d in FloatTypes)
            for (int variant = 0; variant < 2; variant++)
            {
                bool alt = variant == 1;
                Operand P(int seed) => Rand([n], d, seed);
                Operand Pos(int seed) => Rand([n], d, seed, lo: 0.01, hi: 1);
                var g = P(180);

                var (p, buf) = (P(181), P(182));
                var sgd = new SgdUpdate(0.1, alt ? 0.01 : 0, 0.9, alt ? 0.1 : 0, false, alt, alt);
                Ref.SgdStep(p.T, g.T, buf.T, sgd);
                Emu.Launch($"axon_sgd_{Sfx(d)}", n, n, p.P, g.P, buf.P, C(d, sgd.WeightDecay), C(d, sgd.Momentum), C(d, 1 - sgd.Dampening), C(d, sgd.Maximize ? sgd.Lr : -sgd.Lr), 0, alt ? 1 : 0);
                Close($"sgd {d} {variant}", p); Close($"sgd buffer {d} {variant}", buf);

                var (pa, m, v, mx) = (P(183), P(184), Pos(185), Pos(186));
                var adam = new AdamUpdate(0.9, 0.999, 1e-8, alt ? 0 : 0.01, alt ? 0.999 : 1, 0.01, 0.3, alt);
                Ref.AdamStep(pa.T, g.T, m.T, v.T, alt ? mx.T : null, adam);
                Emu.Launch($"axon_adam_{Sfx(d)}", n, n, pa.P, g.P, m.P, v.P, alt ? mx.P : null, C(d, adam.Beta1), C(d, adam.Beta2), C(d, adam.Eps), C(d, adam.L2), C(d, adam.Shrink), C(d, adam.StepSize), C(d, adam.Bc2Sqrt), alt ? 1 : 0);
                Close($"adam {d} {variant}", pa); Close($"adam m {d} {variant}", m); Close($"adam v {d} {variant}", v); Close($"adam max {d} {variant}", mx);

                var (pg, sum) = (P(187), Pos(188));
                var ag = new AdagradUpdate(0.05, alt ? 0.01 : 0, 1e-10, alt);
                Ref.AdagradStep(pg.T, g.T, sum.T, ag);
                Emu.Launch($"axon_adagrad_{Sfx(d)}", n, n, pg.P, g.P, sum.P, C(d, ag.Lr), C(d, ag.WeightDecay), C(d, ag.Eps), alt ? 1 : 0);
                Close($"adagrad {d} {variant}", pg); Close($"adagrad sum {d} {variant}", sum);

                var (pr, sq, rb, ra) = (P(189), Pos(190), P(191), Rand([n], d, 192, lo: -0.05, hi: 0.05));
                var rms = new RmsPropUpdate(0.01, 0.99, 1e-8, alt ? 0.01 : 0, alt ? 0.9 : 0, alt);
                Ref.RmsPropStep(pr.T, g.T, sq.T, alt ? rb.T : null, alt ? ra.T : null, rms);
                Emu.Launch($"axon_rmsprop_{Sfx(d)}", n, n, pr.P, g.P, sq.P, alt ? rb.P : null, alt ? ra.P : null, C(d, rms.Lr), C(d, rms.Alpha), C(d, rms.Eps), C(d, rms.WeightDecay), C(d, rms.Momentum), alt ? 1 : 0);
                Close($"rmsprop {d} {variant}", pr); Close($"rmsprop sq {d} {variant}", sq); Close($"rmsprop buf {d} {variant}", rb); Close($"rmsprop avg {d} {variant}", ra);

                var (pd, sa, acc) = (P(193), Pos(194), Pos(195));
                var ad = new AdadeltaUpdate(1.0, 0.9, 1e-6, alt ? 0.01 : 0, alt);
                Ref.AdadeltaStep(pd.T, g.T, sa.T, acc.T, ad);
                Emu.Launch($"axon_adadelta_{Sfx(d)}", n, n, pd.P, g.P, sa.P, acc.P, C(d, ad.Lr), C(d, ad.Rho), C(d, ad.Eps), C(d, ad.WeightDecay), alt ? 1 : 0);
                Close($"adadelta {d} {variant}", pd); Close($"adadelta acc {d} {variant}", acc);

                var (ps, avg) = (P(196), P(197));
                var asgd = new AsgdUpdate(alt ? 0.01 : 0, 0.9999, 0.01, alt ? 1 : 0.5, alt);
                Ref.AsgdStep(ps.T, g.T, avg.T, asgd);
                Emu.Launch($"axon_asgd_{Sfx(d)}", n, n, ps.P, g.P, avg.P, C(d, asgd.WeightDecay), C(d, asgd.Shrink), C(d, asgd.Eta), C(d, asgd.Mu), alt ? 1 : 0);
                Close($"asgd {d} {variant}", ps); Close($"asgd avg {d} {variant}", avg);

                var (pv, av) = (P(198), P(199));
                var avs = new AveragedSgdUpdate(0.05, alt ? 0.01 : 0, alt ? 1 : 0.3);
                Ref.AveragedSgdStep(pv.T, g.T, av.T, avs);
                Emu.Launch($"axon_averaged_sgd_{Sfx(d)}", n, n, pv.P, g.P, av.P, C(d, avs.Lr), C(d, avs.WeightDecay), C(d, avs.Mu), avs.Mu == 1.0 ? 1 : 0);
                Close($"averaged sgd {d} {variant}", pv); Close($"averaged sgd avg {d} {variant}", av);
            }
    }
}
