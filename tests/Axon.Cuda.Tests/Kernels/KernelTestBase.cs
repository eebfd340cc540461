using System.Runtime.InteropServices;
using Axon.Cuda.Kernels;

namespace Axon.Cuda.Tests.Kernels;

/// <summary>A tensor on the reference device and the same bytes in emulated device memory (pointer at its offset).</summary>
internal readonly record struct Operand(Tensor T, DevPtr P);

/// <summary>
/// Shared helpers of the kernel tests: random operands (views of a random base tensor) on <see cref="Device.Reference"/>
/// mirrored into emulated device memory, downloads, and comparisons with stated tolerances.
/// </summary>
public abstract class KernelTestBase : IDisposable
{
    private readonly List<IntPtr> allocations = [];

    internal static readonly DType[] FloatTypes = [DType.Float32, DType.Float64];

    /// <summary>Emulated device memory for <paramref name="bytes"/> bytes, zeroed.</summary>
    internal DevPtr Alloc(long bytes)
    {
        int n = (int)Math.Max(bytes, 16);
        IntPtr p = Marshal.AllocHGlobal(n);
        Marshal.Copy(new byte[n], 0, p, n);
        allocations.Add(p);
        return new DevPtr(p);
    }

    internal static int Size(DType d) => d == DType.Float32 ? 4 : 8;

    /// <summary>Random values: floats in [-3, 3) (with NaN, ±inf and -0 sprinkled in when <paramref name="specials"/>), ints in [lo, hi).</summary>
    internal static double[] Random(int n, int seed, bool specials = false, double lo = -3, double hi = 3)
    {
        var rng = new Random(seed);
        var v = new double[n];
        for (int i = 0; i < n; i++)
        {
            v[i] = lo + (hi - lo) * rng.NextDouble();
            if (specials && rng.Next(12) == 0) v[i] = new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, 0.0 }[rng.Next(5)];
        }
        return v;
    }

    /// <summary>A reference-device tensor of <paramref name="values"/> (rounded to the dtype; truncated for int64), uploaded.</summary>
    internal Operand Make(double[] values, int[] shape, DType dtype, Func<Tensor, Tensor>? view = null)
    {
        Tensor baseTensor;
        DevPtr p = Alloc((long)values.Length * Size(dtype));
        switch (dtype)
        {
            case DType.Float32:
                var f = values.Select(v => (float)v).ToArray();
                Marshal.Copy(f, 0, p.Ptr, f.Length);
                baseTensor = Tensor.FromArray(f, shape);
                break;
            case DType.Float64:
                Marshal.Copy(values, 0, p.Ptr, values.Length);
                baseTensor = Tensor.FromArray(values, shape);
                break;
            default:
                var l = values.Select(v => (long)Math.Floor(v)).ToArray();
                Marshal.Copy(l, 0, p.Ptr, l.Length);
                baseTensor = Tensor.FromArray(l, shape);
                break;
        }
        var onRef = baseTensor.To(Device.Reference);
        var t = view is null ? onRef : view(onRef);
        if (view is not null) CheckIsView(t, Values(onRef));
        return new Operand(t, new DevPtr(p.Ptr + t.Offset * Size(dtype)));
    }

    /// <summary>Fails unless <paramref name="t"/> reads the base's storage through its shape, strides and offset (a view, not a copy).</summary>
    private static void CheckIsView(Tensor t, double[] baseValues)
    {
        var got = Values(t);
        var shape = t.Shape.ToArray();
        var strides = t.Strides.ToArray();
        for (int i = 0; i < got.Length; i++)
        {
            int o = t.Offset, rest = i;
            for (int d = shape.Length - 1; d >= 0; d--) { o += rest % shape[d] * strides[d]; rest /= shape[d]; }
            if (!got[i].Equals(baseValues[o])) Assert.Fail($"Make: the view {string.Join('x', shape)} is a copy, not a view of its base (element {i}).");
        }
    }

    /// <summary>A random operand: a base tensor of <paramref name="baseShape"/>, seen through <paramref name="view"/>.</summary>
    internal Operand Rand(int[] baseShape, DType dtype, int seed, Func<Tensor, Tensor>? view = null, bool specials = false, double lo = -3, double hi = 3) =>
        Make(Random(baseShape.Aggregate(1, (a, b) => a * b), seed, specials, lo, hi), baseShape, dtype, view);

    /// <summary>A zeroed contiguous destination on both sides.</summary>
    internal Operand Zeros(int[] shape, DType dtype) => Make(new double[shape.Aggregate(1, (a, b) => a * b)], shape, dtype);

    /// <summary>The row-major values of a contiguous device buffer of <paramref name="n"/> elements, as double.</summary>
    internal static double[] Download(DevPtr p, DType dtype, int n)
    {
        switch (dtype)
        {
            case DType.Float32: { var f = new float[n]; Marshal.Copy(p.Ptr, f, 0, n); return f.Select(v => (double)v).ToArray(); }
            case DType.Float64: { var d = new double[n]; Marshal.Copy(p.Ptr, d, 0, n); return d; }
            default: { var l = new long[n]; Marshal.Copy(p.Ptr, l, 0, n); return l.Select(v => (double)v).ToArray(); }
        }
    }

    /// <summary>A reference tensor's values in row-major order, as double.</summary>
    internal static double[] Values(Tensor t) => t.DType switch
    {
        DType.Float32 => t.ToArray<float>().Select(v => (double)v).ToArray(),
        DType.Float64 => t.ToArray<double>(),
        _ => t.ToArray<long>().Select(v => (double)v).ToArray(),
    };

    /// <summary>Asserts the kernel's result equals the reference's: NaN matches NaN, else |a − e| ≤ atol + rtol |e| (exact: also the sign of zero).</summary>
    internal static void Close(string what, double[] expected, double[] actual, double rtol = 0, double atol = 0)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            bool ok = double.IsNaN(e) ? double.IsNaN(a)
                : rtol == 0 && atol == 0 ? e.Equals(a) && double.IsNegative(e) == double.IsNegative(a)
                : e == a || Math.Abs(a - e) <= atol + rtol * Math.Abs(e);
            if (!ok) Assert.Fail($"{what}: element {i} is {a:R}, the reference gives {e:R} (rtol {rtol}, atol {atol}).");
        }
    }

    /// <summary>Compares the kernel's contiguous output with a reference tensor.</summary>
    internal static void Close(string what, Operand dst, double rtol = 0, double atol = 0) =>
        Close(what, Values(dst.T), Download(dst.P, dst.T.DType, dst.T.NumEl), rtol, atol);

    /// <summary>The ulp-scale tolerance of a type: a few units in the last place.</summary>
    internal static double Ulps(DType d, double count = 4) => count * (d == DType.Float32 ? 1.2e-7 : 2.3e-16);

    public void Dispose()
    {
        foreach (var p in allocations) Marshal.FreeHGlobal(p);
        allocations.Clear();
        GC.SuppressFinalize(this);
    }

    /// <summary>The element-wise geometry of dst and sources (pointers are passed separately).</summary>
    internal static KernelGeometry Geo(Tensor dst, params Tensor?[] sources) => KernelGeometry.ForElementwise(dst, sources);

    internal static string Sfx(DType d) => KernelCatalog.Suffix(d);
}
