using System.Runtime.InteropServices;

namespace Axon.Cuda.Runtime;

/// <summary>
/// The by-value kernel argument of the strided copy, fill and cast kernels (<see cref="RuntimeKernels"/>): rank, element
/// count, and the shape and the two operands' strides (in elements), at most <see cref="MaxRank"/> dimensions. Its
/// layout matches the C struct <c>Layout</c> in the kernel source: 208 bytes, <c>n</c> at offset 8.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct StridedLayout
{
    public const int MaxRank = 8;

    public int Rank;
    public long Count;
    public fixed long Shape[MaxRank];
    public fixed long Src[MaxRank];
    public fixed long Dst[MaxRank];

    /// <summary>
    /// The layout of an element-by-element walk over <paramref name="shape"/> reading with <paramref name="src"/> and
    /// writing with <paramref name="dst"/> strides. Size-1 dimensions are dropped and neighbours that both operands walk
    /// as one are merged, so most views fit in <see cref="MaxRank"/> dimensions; returns false when one does not.
    /// </summary>
    public static bool TryCreate(ReadOnlySpan<int> shape, ReadOnlySpan<int> src, ReadOnlySpan<int> dst, out StridedLayout layout)
    {
        layout = default;
        long count = 1;
        foreach (var s in shape) count *= s;
        layout.Count = count;
        var dims = new List<(long Size, long S, long D)>();
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 1) continue;
            if (dims.Count > 0)
            {
                var (size, s, d) = dims[^1];
                // The previous (outer) dimension continues this one in both operands: walk them as one.
                if (s == src[i] * (long)shape[i] && d == dst[i] * (long)shape[i])
                {
                    dims[^1] = (size * shape[i], src[i], dst[i]);
                    continue;
                }
            }
            dims.Add((shape[i], src[i], dst[i]));
        }
        if (dims.Count > MaxRank) return false;
        layout.Rank = dims.Count;
        for (int i = 0; i < dims.Count; i++)
        {
            layout.Shape[i] = dims[i].Size;
            layout.Src[i] = dims[i].S;
            layout.Dst[i] = dims[i].D;
        }
        return true;
    }
}

/// <summary>The CUDA C of the backend's own small kernels (strided copy, fill, cast), compiled by NVRTC on first use.</summary>
internal static class RuntimeKernels
{
    /// <summary>The program.</summary>
    public static readonly KernelSource Source = new("axon_runtime.cu", """
        struct Layout { int rank; long long n; long long shape[8]; long long src[8]; long long dst[8]; };

        __device__ __forceinline__ void offsets(const Layout& l, long long i, long long& so, long long& d) {
            so = 0; d = 0;
            for (int k = l.rank - 1; k >= 0; --k) {
                long long c = i % l.shape[k];
                i /= l.shape[k];
                so += c * l.src[k];
                d += c * l.dst[k];
            }
        }

        template <typename T> __device__ void copy(const T* __restrict__ s, T* __restrict__ d, const Layout& l) {
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < l.n; i += (long long)gridDim.x * blockDim.x) {
                long long so, dO; offsets(l, i, so, dO); d[dO] = s[so];
            }
        }

        template <typename T> __device__ void fill(T* d, T v, const Layout& l) {
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < l.n; i += (long long)gridDim.x * blockDim.x) {
                long long so, dO; offsets(l, i, so, dO); d[dO] = v;
            }
        }

        template <typename S> __device__ long long to_int64(S v) {
            // As .NET's CreateTruncating: toward zero, NaN to 0, saturating at the ends.
            if (v != v) return 0;
            if (v >= (S)9.2233720368547758e18) return 0x7fffffffffffffffLL;
            if (v <= (S)-9.2233720368547758e18) return (long long)0x8000000000000000ULL;
            return (long long)v;
        }

        template <typename S, typename D> __device__ D convert(S v) { return (D)v; }
        template <> __device__ long long convert<float, long long>(float v) { return to_int64(v); }
        template <> __device__ long long convert<double, long long>(double v) { return to_int64(v); }

        template <typename S, typename D> __device__ void cast(const S* __restrict__ s, D* __restrict__ d, const Layout& l) {
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < l.n; i += (long long)gridDim.x * blockDim.x) {
                long long so, dO; offsets(l, i, so, dO); d[dO] = convert<S, D>(s[so]);
            }
        }

        extern "C" __global__ void axon_copy_4(const unsigned int* s, unsigned int* d, Layout l) { copy(s, d, l); }
        extern "C" __global__ void axon_copy_8(const unsigned long long* s, unsigned long long* d, Layout l) { copy(s, d, l); }
        extern "C" __global__ void axon_fill_4(unsigned int* d, unsigned int v, Layout l) { fill(d, v, l); }
        extern "C" __global__ void axon_fill_8(unsigned long long* d, unsigned long long v, Layout l) { fill(d, v, l); }
        extern "C" __global__ void axon_cast_f32_f64(const float* s, double* d, Layout l) { cast(s, d, l); }
        extern "C" __global__ void axon_cast_f32_i64(const float* s, long long* d, Layout l) { cast(s, d, l); }
        extern "C" __global__ void axon_cast_f64_f32(const double* s, float* d, Layout l) { cast(s, d, l); }
        extern "C" __global__ void axon_cast_f64_i64(const double* s, long long* d, Layout l) { cast(s, d, l); }
        extern "C" __global__ void axon_cast_i64_f32(const long long* s, float* d, Layout l) { cast(s, d, l); }
        extern "C" __global__ void axon_cast_i64_f64(const long long* s, double* d, Layout l) { cast(s, d, l); }
        """);

    /// <summary>The cast kernel's name for a pair of dtypes ("axon_cast_f32_f64").</summary>
    public static string CastKernel(DType from, DType to) => $"axon_cast_{Short(from)}_{Short(to)}";

    private static string Short(DType t) => t switch { DType.Float32 => "f32", DType.Float64 => "f64", _ => "i64" };
}
