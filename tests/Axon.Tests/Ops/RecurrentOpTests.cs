namespace Axon.Tests.Ops;

/// <summary>
/// The fused recurrent sequence op (<see cref="Recurrent.Layer"/>) against its composite of cells made of tensor ops
/// (<see cref="Recurrent.Composite"/>): outputs, final states and every gradient, for each mode, both directions, full
/// length and padded batches, odd sizes; and float64 gradient checks of the op to first and second order.
/// </summary>
public class RecurrentOpTests
{
    public static TheoryData<RecurrentMode, bool, bool> Cases()
    {
        var data = new TheoryData<RecurrentMode, bool, bool>();
        foreach (var mode in Enum.GetValues<RecurrentMode>())
            foreach (bool reverse in new[] { false, true })
                foreach (bool padded in new[] { false, true })
                    data.Add(mode, reverse, padded);
        return data;
    }

    private sealed record Operands(Tensor X, Tensor H0, Tensor? C0, Tensor WIh, Tensor WHh, Tensor? BIh, Tensor? BHh)
    {
        public Tensor[] All => new[] { X, H0, C0, WIh, WHh, BIh, BHh }.Where(t => t is not null).Select(t => t!).ToArray();
    }

    private static Operands Make(RecurrentMode mode, int steps, int batch, int inSize, int hidden, DType dtype, int seed, bool bias = true)
    {
        int g = Recurrent.Gates(mode) * hidden;
        Tensor R(int s, params int[] shape) => (Tensor.Randn(shape, new Generator(seed * 31 + s), DType.Float64) * 0.6).To(dtype).RequiresGrad_();
        return new Operands(R(1, steps, batch, inSize), R(2, batch, hidden), mode == RecurrentMode.Lstm ? R(3, batch, hidden) : null,
            R(4, g, inSize), R(5, g, hidden), bias ? R(6, g) : null, bias ? R(7, g) : null);
    }

    private static (Tensor O, Tensor H, Tensor? C) Run(bool fused, RecurrentMode mode, Operands a, bool reverse, int[]? lengths) => fused
        ? Recurrent.Layer(mode, a.X, a.H0, a.C0, a.WIh, a.WHh, a.BIh, a.BHh, reverse, lengths)
        : Recurrent.Composite(mode, a.X, a.H0, a.C0, a.WIh, a.WHh, a.BIh, a.BHh, reverse, lengths);

    /// <summary>loss = Σ o·R1 + Σ h·R2 (+ Σ c·R3) with fixed random R, so no error can cancel.</summary>
    private static Tensor Loss((Tensor O, Tensor H, Tensor? C) r)
    {
        Tensor W(Tensor t, int s) => Tensor.Randn(t.GetShape(), new Generator(900 + s), DType.Float64).To(t.DType);
        var loss = (r.O * W(r.O, 1)).Sum() + (r.H * W(r.H, 2)).Sum();
        return r.C is null ? loss : loss + (r.C * W(r.C, 3)).Sum();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedEqualsCompositeWithGradients(RecurrentMode mode, bool reverse, bool padded)
    {
        foreach (var (dtype, tol) in new[] { (DType.Float64, 1e-12), (DType.Float32, 2e-5) })
        {
            int[]? lengths = padded ? [7, 6, 6, 3, 1] : null;
            var results = new List<(Tensor[] Values, Tensor[] Grads)>();
            foreach (bool fused in new[] { true, false })
            {
                var a = Make(mode, 7, 5, 3, 5, dtype, seed: 11);
                var r = Run(fused, mode, a, reverse, lengths);
                Loss(r).Backward();
                Tensor[] values = r.C is null ? [r.O, r.H] : [r.O, r.H, r.C];
                results.Add((values, a.All.Select(t => t.Grad!).ToArray()));
            }
            var (f, c) = (results[0], results[1]);
            for (int i = 0; i < f.Values.Length; i++) AssertClose(c.Values[i], f.Values[i], tol, $"{mode} {dtype} output {i}");
            for (int i = 0; i < f.Grads.Length; i++) AssertClose(c.Grads[i], f.Grads[i], tol, $"{mode} {dtype} gradient of input {i}");
        }
    }

    [Theory]
    [InlineData(RecurrentMode.Lstm)]
    [InlineData(RecurrentMode.Gru)]
    [InlineData(RecurrentMode.RnnTanh)]
    public void LongSequencesAgreeWithTheComposite(RecurrentMode mode)
    {
        // 80 steps: the gradient reaching the first steps is tiny, so an error in the state carried backwards through
        // time would dominate it; it must still agree element by element, relative to each gradient's own size.
        var results = new List<Tensor[]>();
        foreach (bool fused in new[] { true, false })
        {
            var a = Make(mode, 80, 3, 4, 6, DType.Float64, seed: 21);
            var r = Run(fused, mode, a, reverse: false, lengths: [80, 61, 5]);
            Loss(r).Backward();
            results.Add([r.O, .. a.All.Select(t => t.Grad!)]);
        }
        for (int i = 0; i < results[0].Length; i++) AssertClose(results[1][i], results[0][i], 1e-12, $"{mode} over 80 steps, tensor {i}");
        // The first step's input gradient: compared relative to its own (small) size.
        var first = (results[0][1].Select(0, 0), results[1][1].Select(0, 0));
        double scale = first.Item2.Abs().Max().Item();
        AssertClose(first.Item2 / scale, first.Item1 / scale, 1e-9, $"{mode}: the first step's input gradient");
    }

    [Fact]
    public void PaddedStepsAreZeroAndLeaveTheStateAndGradientsAlone()
    {
        // Row 1 has 3 valid steps of 6: its outputs after step 3 are zero, its final state is the one after step 3 (the
        // same as running its first 3 steps alone), and the padded inputs get no gradient.
        foreach (var mode in Enum.GetValues<RecurrentMode>())
        {
            var a = Make(mode, 6, 2, 3, 4, DType.Float64, seed: 5);
            var (o, h, c) = Recurrent.Layer(mode, a.X, a.H0, a.C0, a.WIh, a.WHh, a.BIh, a.BHh, reverse: false, [6, 3]);
            Loss((o, h, c)).Backward();
            var gx = a.X.Grad!;
            Assert.All(o.Narrow(0, 3, 3).Select(1, 1).ToDoubleArray(), v => Assert.Equal(0.0, v));
            Assert.All(gx.Narrow(0, 3, 3).Select(1, 1).ToDoubleArray(), v => Assert.Equal(0.0, v));
            using (GradMode.NoGrad())
            {
                var alone = Recurrent.Layer(mode, a.X.Narrow(0, 0, 3).Narrow(1, 1, 1), a.H0.Narrow(0, 1, 1), a.C0?.Narrow(0, 1, 1), a.WIh, a.WHh, a.BIh, a.BHh, false, null);
                Assert.Equal(alone.H.ToDoubleArray(), h.Narrow(0, 1, 1).ToDoubleArray());
                Assert.Equal(alone.Output.ToDoubleArray(), o.Narrow(0, 0, 3).Narrow(1, 1, 1).ToDoubleArray());
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientCheckFloat64(RecurrentMode mode, bool reverse, bool padded)
    {
        var a = Make(mode, 4, 3, 2, 3, DType.Float64, seed: 3);
        int[]? lengths = padded ? [4, 2, 1] : null;
        GradCheck.CheckMany(xs =>
        {
            var b = Rebuild(mode, xs);
            var (o, h, c) = Recurrent.Layer(mode, b.X, b.H0, b.C0, b.WIh, b.WHh, b.BIh, b.BHh, reverse, lengths);
            var flat = new List<Tensor> { o.Reshape(-1), h.Reshape(-1) };
            if (c is not null) flat.Add(c.Reshape(-1));
            return Tensor.Cat(flat);
        }, a.All);
    }

    [Theory]
    [InlineData(RecurrentMode.Lstm, false)]
    [InlineData(RecurrentMode.Gru, true)]
    [InlineData(RecurrentMode.RnnTanh, false)]
    public void SecondDerivativesThroughTheComposite(RecurrentMode mode, bool padded)
    {
        var a = Make(mode, 3, 2, 2, 2, DType.Float64, seed: 8);
        int[]? lengths = padded ? [3, 2] : null;
        GradCheck.GradGradCheck(xs =>
        {
            var b = Rebuild(mode, xs);
            var (o, h, _) = Recurrent.Layer(mode, b.X, b.H0, b.C0, b.WIh, b.WHh, b.BIh, b.BHh, false, lengths);
            return Tensor.Cat([o.Reshape(-1), h.Reshape(-1)]);
        }, a.All);
    }

    [Fact]
    public void WithoutBiasMatchesTheComposite()
    {
        var a = Make(RecurrentMode.Gru, 5, 3, 4, 3, DType.Float64, seed: 2, bias: false);
        var f = Recurrent.Layer(RecurrentMode.Gru, a.X, a.H0, null, a.WIh, a.WHh, null, null, true, null);
        var c = Recurrent.Composite(RecurrentMode.Gru, a.X, a.H0, null, a.WIh, a.WHh, null, null, true, null);
        AssertClose(c.Output, f.Output, 1e-13, "GRU without bias");
    }

    [Fact]
    public void LayersAgreeOnTheCpuAndReferenceDevices()
    {
        // Two stacked bidirectional layers over an unsorted padded batch: the sorting permutation, the fused op and its
        // backward all run on the device of the input.
        var x = Tensor.Randn([6, 3, 4], new Generator(4));
        int[] lengths = [4, 6, 2];
        var results = new List<(float[] Out, float[] H, float[] C, float[][] Grads)>();
        foreach (var device in new[] { Device.Cpu, Device.Reference })
        {
            var lstm = new Axon.Nn.LSTM(4, 5, numLayers: 2, bidirectional: true, generator: new Generator(6));
            lstm.To(device);
            var (o, state) = lstm.Forward(x.To(device), null, lengths);
            Assert.Same(device, o.Device);
            (o.Square().Sum() + state.H.Sum() + state.C.Sum()).Backward();
            results.Add((o.ToFloatArray(), state.H.ToFloatArray(), state.C.ToFloatArray(), lstm.Parameters().Select(p => p.Grad!.ToFloatArray()).ToArray()));
        }
        var (cpu, rf) = (results[0], results[1]);
        AssertClose(Tensor.FromArray(rf.Out), Tensor.FromArray(cpu.Out), 1e-5, "output");
        AssertClose(Tensor.FromArray(rf.H), Tensor.FromArray(cpu.H), 1e-5, "h");
        AssertClose(Tensor.FromArray(rf.C), Tensor.FromArray(cpu.C), 1e-5, "c");
        for (int i = 0; i < cpu.Grads.Length; i++) AssertClose(Tensor.FromArray(rf.Grads[i]), Tensor.FromArray(cpu.Grads[i]), 1e-5, $"gradient {i}");
    }

    private static Operands Rebuild(RecurrentMode mode, Tensor[] xs)
    {
        int k = 0;
        var x = xs[k++];
        var h0 = xs[k++];
        var c0 = mode == RecurrentMode.Lstm ? xs[k++] : null;
        var wIh = xs[k++];
        var wHh = xs[k++];
        return new Operands(x, h0, c0, wIh, wHh, k < xs.Length ? xs[k++] : null, k < xs.Length ? xs[k] : null);
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tol, string what)
    {
        Assert.Equal(expected.GetShape(), actual.GetShape());
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        double scale = Math.Max(1, e.Max(Math.Abs));
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= tol * scale, $"{what}: element {i} is {a[i]:R}, the composite gives {e[i]:R}.");
    }
}
