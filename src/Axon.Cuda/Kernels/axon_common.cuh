// Shared definitions of Axon's CUDA kernels: the geometry struct that carries strided and broadcast operands by value,
// offset arithmetic, math overloads for float and double, block reductions and the launch constants. NVRTC-compilable
// without any CUDA header; the CPU emulation (tests/Axon.Cuda.Tests/Kernels/emu) compiles the same text with g++.
#pragma once

#define AXON_BLOCK 256      // threads per block of every kernel (block reductions assume exactly this, a power of two)
#define AXON_MAX_RANK 8     // dimensions of a geometry after collapsing
#define AXON_MAX_OPERANDS 4 // operands a geometry describes (operand 0 is the destination)

typedef long long i64;

// The layout of up to four operands over one iteration shape: element i (row-major over sizes) of operand k lies at
// element offset sum_d coord_d(i) * strides[k][d] from that operand's pointer (the runtime passes pointers already
// advanced by each tensor's storage offset). Broadcast dimensions have stride 0. Dimensions are collapsed on the host
// where every operand allows, so contiguous tensors arrive as rank 1; bit k of contiguous says operand k is dense
// row-major (offset == i), the fast path. Mirrored by Axon.Cuda.Kernels.KernelGeometry (layout checked by a test).
struct AxonGeometry
{
    int rank;
    int numel;
    int contiguous;
    int reserved;
    int sizes[AXON_MAX_RANK];
    int strides[AXON_MAX_OPERANDS][AXON_MAX_RANK];
};

// The element offsets of the first N operands at row-major position i.
template <int N>
__device__ __forceinline__ void ax_offsets(const AxonGeometry& g, i64 i, int (&off)[N])
{
    for (int k = 0; k < N; k++) off[k] = 0;
    if (g.contiguous == (1 << N) - 1)
    {
        for (int k = 0; k < N; k++) off[k] = (int)i;
        return;
    }
    int rest = (int)i;
    for (int d = g.rank - 1; d >= 0; d--)
    {
        int size = g.sizes[d];
        int c = rest % size;
        rest /= size;
        for (int k = 0; k < N; k++) off[k] += c * g.strides[k][d];
    }
}

// The offset of operand k alone at position i.
__device__ __forceinline__ int ax_offset(const AxonGeometry& g, int k, i64 i)
{
    if (g.contiguous & (1 << k)) return (int)i;
    int rest = (int)i, o = 0;
    for (int d = g.rank - 1; d >= 0; d--)
    {
        int size = g.sizes[d];
        o += rest % size * g.strides[k][d];
        rest /= size;
    }
    return o;
}

// Grid-stride loop over [0, n): a grid smaller than n/AXON_BLOCK covers everything.
#define AX_GRID_LOOP(i, n) for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (i64)(n); i += (i64)blockDim.x * gridDim.x)
// Block-stride loop over rows: one block per row.
#define AX_ROW_LOOP(r, rows) for (i64 r = blockIdx.x; r < (i64)(rows); r += gridDim.x)

// ---- bit patterns and IEEE helpers (no isnan/signbit from a math header; x != x is NaN without fast math) ----

__device__ __forceinline__ bool ax_isnan(float x) { return x != x; }
__device__ __forceinline__ bool ax_isnan(double x) { return x != x; }
__device__ __forceinline__ bool ax_isnan(i64) { return false; }
__device__ __forceinline__ bool ax_signbit(float x) { return __float_as_int(x) < 0; }
__device__ __forceinline__ bool ax_signbit(double x) { return __double_as_longlong(x) < 0; }
__device__ __forceinline__ bool ax_isinf(float x) { return x - x != x - x && x == x; }
__device__ __forceinline__ bool ax_isinf(double x) { return x - x != x - x && x == x; }

template <typename T> struct AxLimits;
template <> struct AxLimits<float>
{
    static __device__ __forceinline__ float nan() { return __int_as_float(0x7fc00000); }
    static __device__ __forceinline__ float neg_inf() { return __int_as_float((int)0xff800000u); }
};
template <> struct AxLimits<double>
{
    static __device__ __forceinline__ double nan() { return __longlong_as_double(0x7ff8000000000000LL); }
    static __device__ __forceinline__ double neg_inf() { return __longlong_as_double((i64)0xfff0000000000000ULL); }
};

// ---- math overloads: float maps to the f-suffixed CUDA functions, double to the plain ones ----

__device__ __forceinline__ float ax_exp(float x) { return expf(x); }
__device__ __forceinline__ double ax_exp(double x) { return exp(x); }
__device__ __forceinline__ float ax_log(float x) { return logf(x); }
__device__ __forceinline__ double ax_log(double x) { return log(x); }
__device__ __forceinline__ float ax_sqrt(float x) { return sqrtf(x); }
__device__ __forceinline__ double ax_sqrt(double x) { return sqrt(x); }
__device__ __forceinline__ float ax_tanh(float x) { return tanhf(x); }
__device__ __forceinline__ double ax_tanh(double x) { return tanh(x); }
__device__ __forceinline__ float ax_pow(float x, float y) { return powf(x, y); }
__device__ __forceinline__ double ax_pow(double x, double y) { return pow(x, y); }
__device__ __forceinline__ float ax_abs(float x) { return fabsf(x); }
__device__ __forceinline__ double ax_abs(double x) { return fabs(x); }
__device__ __forceinline__ i64 ax_abs(i64 x) { return x < 0 ? -x : x; }

// IEEE 754-2019 maximum/minimum as .NET's T.Max/T.Min: NaN propagates, +0 > -0.
template <typename T>
__device__ __forceinline__ T ax_max(T x, T y)
{
    if (ax_isnan(x) || ax_isnan(y)) return x + y;
    if (x == y) return ax_signbit(x) ? y : x;
    return x > y ? x : y;
}
template <typename T>
__device__ __forceinline__ T ax_min(T x, T y)
{
    if (ax_isnan(x) || ax_isnan(y)) return x + y;
    if (x == y) return ax_signbit(x) ? x : y;
    return x < y ? x : y;
}
template <> __device__ __forceinline__ i64 ax_max<i64>(i64 x, i64 y) { return x > y ? x : y; }
template <> __device__ __forceinline__ i64 ax_min<i64>(i64 x, i64 y) { return x < y ? x : y; }

template <typename T>
__device__ __forceinline__ T ax_sigmoid(T x) { return T(1) / (T(1) + ax_exp(-x)); }

// Float to int64 as .NET's CreateTruncating: toward zero, saturating, NaN to 0 (a plain C cast is undefined there).
template <typename T>
__device__ __forceinline__ i64 ax_to_i64(T x)
{
    if (ax_isnan(x)) return 0;
    if (x >= (T)9223372036854775807.0) return (i64)0x7fffffffffffffffLL;
    if (x <= (T)-9223372036854775808.0) return (i64)0x8000000000000000ULL;
    return (i64)x;
}

// ---- block reductions: every thread of the AXON_BLOCK-thread block calls them; a fixed tree, so deterministic ----

struct AxSum { template <typename T> __device__ __forceinline__ T operator()(T a, T b) const { return a + b; } };
struct AxMaxNan { template <typename T> __device__ __forceinline__ T operator()(T a, T b) const { return ax_max(a, b); } };
struct AxMinInt { __device__ __forceinline__ i64 operator()(i64 a, i64 b) const { return a < b ? a : b; } };
struct AxMaxInt { __device__ __forceinline__ i64 operator()(i64 a, i64 b) const { return a > b ? a : b; } };

// Reduces v over the block in shared memory shm[AXON_BLOCK]; every thread gets the result.
template <typename T, typename Op>
__device__ __forceinline__ T ax_block_reduce(T v, Op op, T* shm)
{
    shm[threadIdx.x] = v;
    __syncthreads();
    for (int s = AXON_BLOCK / 2; s > 0; s >>= 1)
    {
        if ((int)threadIdx.x < s) shm[threadIdx.x] = op(shm[threadIdx.x], shm[threadIdx.x + s]);
        __syncthreads();
    }
    T r = shm[0];
    __syncthreads();
    return r;
}

// Instantiates a float-and-double kernel entry: AX_FLOATS(M) expands M(float, f32) M(double, f64).
#define AX_FLOATS(M) M(float, f32) M(double, f64)
#define AX_ALL(M) M(float, f32) M(double, f64) M(i64, i64)
