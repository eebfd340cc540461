using System.Reflection;
using Axon.Backends;
using Xunit.Abstractions;

namespace Axon.Tests.Backends;

/// <summary>Names the <see cref="IBackend"/> members a test exercises on both backends (read by the coverage test).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class CoversAttribute(params string[] members) : Attribute
{
    public string[] Members { get; } = members;
}

/// <summary>
/// Every primitive of <see cref="IBackend"/> on the CPU backend and on the reference backend, compared: operands made on
/// the CPU (odd sizes, strided, transposed and broadcast views, NaN, ±inf and −0), copied to the reference device, the
/// same views taken on both, then the primitive called directly through each device's backend. Exact where both compute
/// the same operations (copies, casts, comparisons, index ops, max/min, the optimisers), within a relative tolerance
/// where the summation order differs (reductions, products, convolution) or a transcendental is involved. Each check
/// writes the largest error it saw to the test output.
/// </summary>
public partial class ReferenceBackendTests(ITestOutputHelper output)
{
    private static readonly Device Cpu = Device.Cpu;
    private static readonly Device Ref = Device.Reference;

    // ---- operands: made on the CPU, copied to the device under test ----

    /// <summary>The CPU tensor itself, or a contiguous copy of it on <paramref name="device"/>.</summary>
    private static Tensor On(Device device, Tensor cpu) => ReferenceEquals(device, Cpu) ? cpu : cpu.CloneTo(device);

    /// <summary>Normal samples of <paramref name="shape"/> on the CPU from <paramref name="seed"/>.</summary>
    private static Tensor Randn(int[] shape, DType dtype, int seed) => Tensor.Randn(shape, new Generator(seed), dtype);

    /// <summary>Normal samples with the special values NaN, ±inf, ±0, tiny and huge scattered among them.</summary>
    private static Tensor Special(int[] shape, DType dtype, int seed)
    {
        double[] specials = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, 0.0, 1, -1, 0.5, 1e-30, -1e30, 88.5, -103];
        var g = new Generator(seed);
        var v = new double[ShapeUtil.Product(shape)];
        for (int i = 0; i < v.Length; i++) v[i] = g.NextDouble() < 0.3 ? specials[g.NextInt64(specials.Length)] : 3 * g.NextNormal();
        return FromDoubles(v, shape, dtype);
    }

    /// <summary>A CPU tensor of <paramref name="dtype"/> holding <paramref name="v"/> (each rounded to the type).</summary>
    private static Tensor FromDoubles(double[] v, int[] shape, DType dtype) => dtype switch
    {
        DType.Float32 => Tensor.FromArray(Array.ConvertAll(v, x => (float)x), shape),
        DType.Float64 => Tensor.FromArray(v, shape),
        _ => Tensor.FromArray(Array.ConvertAll(v, x => double.IsFinite(x) ? (long)x : 7L), shape),
    };

    /// <summary>Integers in [lo, hi) on the CPU, as <paramref name="dtype"/>.</summary>
    private static Tensor Ints(int[] shape, long lo, long hi, int seed, DType dtype = DType.Int64) => Tensor.Randint(lo, hi, shape, new Generator(seed), dtype);

    // ---- comparison ----

    /// <summary>Runs <paramref name="run"/> on both devices; every pair of returned tensors must agree to the bit (NaN payloads aside).</summary>
    private void Exact(string what, Func<Device, Tensor[]> run) => Close(what, 0, run);

    /// <summary>
    /// Runs <paramref name="run"/> on both devices and compares each pair of returned tensors element by element:
    /// |cpu − ref| ≤ rtol (max(|cpu|, |ref|) + scale · max |ref|), NaN where the other is NaN and infinities equal.
    /// <paramref name="scale"/> 0 asks for an element-wise relative error; 1 measures the error against the tensor's
    /// largest magnitude, the right yardstick for sums whose terms can cancel. rtol 0 asks for the same bits.
    /// </summary>
    private void Close(string what, double rtol, Func<Device, Tensor[]> run, double scale = 0) => Close(what, rtol, 0, run, scale);

    /// <summary><see cref="Close(string, double, Func{Device, Tensor[]}, double)"/> with an absolute tolerance <paramref name="atol"/> besides.</summary>
    private void Close(string what, double rtol, double atol, Func<Device, Tensor[]> run, double scale = 0)
    {
        var cpu = run(Cpu);
        var rf = run(Ref);
        Assert.Equal(cpu.Length, rf.Length);
        double worst = 0;
        for (int t = 0; t < cpu.Length; t++)
        {
            Assert.Same(Cpu, cpu[t].Device);
            Assert.Same(Ref, rf[t].Device);
            Assert.Equal(cpu[t].GetShape(), rf[t].GetShape());
            Assert.Equal(cpu[t].DType, rf[t].DType);
            if (cpu[t].DType == DType.Int64)
            {
                Assert.Equal(cpu[t].ToLongArray(), rf[t].ToLongArray());
                continue;
            }
            worst = Math.Max(worst, Compare($"{what} [{t}]", cpu[t].ToDoubleArray(), rf[t].ToDoubleArray(), rtol, atol, scale));
        }
        output.WriteLine($"{what}: max error {worst:G3} (allowed {rtol:G3}{(scale > 0 ? ", against the largest magnitude" : "")})");
    }

    private static double Compare(string what, double[] a, double[] b, double rtol, double atol, double scale)
    {
        double top = 0;
        foreach (double v in b) if (double.IsFinite(v)) top = Math.Max(top, Math.Abs(v));
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double x = a[i], y = b[i];
            if (double.IsNaN(x) || double.IsNaN(y))
            {
                Assert.True(double.IsNaN(x) && double.IsNaN(y), $"{what}: element {i} is {x} on the CPU and {y} on the reference device.");
                continue;
            }
            if ((rtol == 0 && atol == 0) || !double.IsFinite(x) || !double.IsFinite(y))
            {
                // Exact, including the sign of zero.
                Assert.True(BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits(y), $"{what}: element {i} is {x:R} on the CPU and {y:R} on the reference device.");
                continue;
            }
            double bound = Math.Max(Math.Abs(x), Math.Abs(y)) + scale * top;
            double diff = Math.Abs(x - y), err = bound == 0 ? 0 : diff / bound;
            if (diff > atol) worst = Math.Max(worst, err);
            Assert.True(diff <= rtol * bound + atol, $"{what}: element {i} is {x:R} on the CPU and {y:R} on the reference device (error {err:G3} > {rtol:G3}).");
        }
        return worst;
    }

    /// <summary>The primitive throws <typeparamref name="TException"/> on the reference device with a message containing every fragment.</summary>
    private static void ThrowsOnReference<TException>(Action<Device> call, params string[] fragments) where TException : Exception
    {
        var e = Assert.Throws<TException>(() => call(Ref));
        foreach (var f in fragments) Assert.Contains(f, e.Message, StringComparison.Ordinal);
    }

    private static readonly DType[] Floats = [DType.Float32, DType.Float64];

    /// <summary>
    /// The tolerance of a sum in <paramref name="dtype"/> (reductions, products, convolution, pooling, the loss),
    /// against the result's largest magnitude: the summation orders differ. Measured at most 7e-7 (float32) and 1.5e-15
    /// (float64) over these tests.
    /// </summary>
    private static double SumTol(DType dtype) => dtype == DType.Float32 ? 5e-6 : 1e-13;

    // ---- the device and its coverage ----

    [Fact]
    [Covers("get_Device", nameof(IBackend.Allocate))]
    public void ReferenceDeviceIsOneSharedHostDevice()
    {
        Assert.Same(Ref, Device.Reference);
        Assert.Same(Ref, Device.Parse("reference"));
        Assert.Same(Ref, Device.Parse(" Reference "));
        Assert.Equal(DeviceType.Reference, Ref.Type);
        Assert.Equal("reference", Ref.Name);
        Assert.True(Ref.IsHost);
        Assert.IsType<ReferenceBackend>(Ref.Backend);
        Assert.Same(Ref, Ref.Backend.Device);
        Assert.NotSame(Cpu, Ref);
        foreach (var dtype in new[] { DType.Float32, DType.Float64, DType.Int64 })
        {
            var s = Ref.Backend.Allocate(dtype, 17, zero: true);
            Assert.Same(Ref, s.Device);
            Assert.Equal(dtype, s.DType);
            Assert.True(s.Count >= 17);
            using var t = Tensor.Zeros([3, 7], dtype, Ref);
            Assert.All(t.ToDoubleArray(), v => Assert.Equal(0.0, v));
        }
    }

    [Fact]
    public void AnOperandFromAnotherDeviceIsRejected()
    {
        // Host memory is readable by either host backend: without the check a CPU tensor would pass silently.
        using var cpu = Randn([3, 7], DType.Float32, 1);
        using var dst = Tensor.Empty([3, 7], DType.Float32, Ref);
        var e = Assert.Throws<InvalidOperationException>(() => Ref.Backend.Unary(UnaryOp.Exp, cpu, dst));
        Assert.Contains("ReferenceBackend.Unary", e.Message, StringComparison.Ordinal);
        Assert.Contains("[3, 7] on cpu", e.Message, StringComparison.Ordinal);
        using var p = Tensor.Zeros([5], device: Ref);
        Assert.Throws<InvalidOperationException>(() => Ref.Backend.SgdStep(p, Tensor.Zeros([5]), null, new SgdUpdate(0.1, 0, 0, 0, true, false, false)));
    }

    [Fact]
    public void EveryPrimitiveIsCoveredOnBothBackends()
    {
        var covered = typeof(ReferenceBackendTests).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => m.GetCustomAttributes<FactAttribute>().Any())
            .SelectMany(m => m.GetCustomAttributes<CoversAttribute>().SelectMany(c => c.Members))
            .ToHashSet();
        var members = typeof(IBackend).GetMethods().Select(m => m.Name).ToHashSet();
        Assert.Empty(members.Except(covered));
        Assert.Empty(covered.Except(members));   // no stale names
    }
}
