// Reductions: sum over a dimension, the sum of all elements, max/min with first index, softmax and log-softmax over a
// dimension, norms and the int64 index range. A reduction over dimension d sees x as "rows": the geometry iterates
// over the output positions (x's shape without d; operand 0 the output, 1 x, 2 a second output) and each row walks
// n elements of x at stride xStrideN (and of a full-shape output at dstStrideN). Two forms: *_cols runs one thread per
// row, adding in index order exactly as the reference (best when rows are many and neighbours are adjacent in
// memory), *_rows one block per row with a fixed shared-memory tree (best for long rows). SumAll, Norm and IndexRange
// are two passes, a fixed number of block partials (a function of the element count only) then one block: no float
// atomics, so every run gives the same bits.
#include "axon_common.cuh"

// ---- sum over a dimension ----

template <typename T>
__device__ __forceinline__ void sum_cols(const AxonGeometry& g, T* dst, const T* x, int n, int xStrideN)
{
    AX_GRID_LOOP(r, g.numel)
    {
        int o[2];
        ax_offsets<2>(g, r, o);
        T s = T(0);
        for (int k = 0; k < n; k++) s += x[o[1] + k * xStrideN];
        dst[o[0]] = s;
    }
}

template <typename T>
__device__ __forceinline__ void sum_rows(const AxonGeometry& g, T* dst, const T* x, int n, int xStrideN)
{
    __shared__ T shm[AXON_BLOCK];
    AX_ROW_LOOP(r, g.numel)
    {
        int o[2];
        ax_offsets<2>(g, r, o);
        T s = T(0);
        for (int k = threadIdx.x; k < n; k += AXON_BLOCK) s += x[o[1] + k * xStrideN];
        s = ax_block_reduce(s, AxSum(), shm);
        if (threadIdx.x == 0) dst[o[0]] = s;
    }
}

#define AX_SUMDIM(T, S) \
    extern "C" __global__ void axon_sum_cols_##S(AxonGeometry g, T* dst, const T* x, int n, int xStrideN) { sum_cols<T>(g, dst, x, n, xStrideN); } \
    extern "C" __global__ void axon_sum_rows_##S(AxonGeometry g, T* dst, const T* x, int n, int xStrideN) { sum_rows<T>(g, dst, x, n, xStrideN); }
AX_ALL(AX_SUMDIM)

// ---- sum of all elements: pass 1 writes one partial per block, pass 2 (one block) adds the partials ----

template <typename T>
__device__ __forceinline__ void sum_all_partial(const AxonGeometry& g, const T* x, T* partials)
{
    __shared__ T shm[AXON_BLOCK];
    T s = T(0);
    AX_GRID_LOOP(i, g.numel) s += x[ax_offset(g, 0, i)];
    s = ax_block_reduce(s, AxSum(), shm);
    if (threadIdx.x == 0) partials[blockIdx.x] = s;
}

template <typename T>
__device__ __forceinline__ void sum_all_final(const T* partials, int count, T* dst)
{
    __shared__ T shm[AXON_BLOCK];
    T s = T(0);
    for (int k = threadIdx.x; k < count; k += AXON_BLOCK) s += partials[k];
    s = ax_block_reduce(s, AxSum(), shm);
    if (threadIdx.x == 0) dst[0] = s;
}

#define AX_SUMALL(T, S) \
    extern "C" __global__ void axon_sum_all_partial_##S(AxonGeometry g, const T* x, T* partials) { sum_all_partial<T>(g, x, partials); } \
    extern "C" __global__ void axon_sum_all_final_##S(const T* partials, int count, T* dst) { sum_all_final<T>(partials, count, dst); }
AX_ALL(AX_SUMALL)

// ---- max/min with the index of the first occurrence; the first NaN wins outright ----

// The better of two candidates (value, index) for max (or min): NaN beats everything, then the larger (smaller), then
// the smaller index. Associative and commutative, so any tree gives the reference's sequential answer exactly.
template <typename T>
__device__ __forceinline__ bool extreme_better(T v, int i, T bv, int bi, bool max)
{
    bool vn = ax_isnan(v), bn = ax_isnan(bv);
    if (vn || bn) return vn && (!bn || i < bi);
    if (v == bv) return i < bi;
    return max ? v > bv : v < bv;
}

template <typename T>
__device__ __forceinline__ void extreme_cols(const AxonGeometry& g, int max, T* values, const T* x, i64* indices, int n, int xStrideN)
{
    AX_GRID_LOOP(r, g.numel)
    {
        int o[3];
        ax_offsets<3>(g, r, o);
        T bv = x[o[1]];
        int bi = 0;
        for (int k = 1; k < n && !ax_isnan(bv); k++)
        {
            T c = x[o[1] + k * xStrideN];
            if (ax_isnan(c) || (max ? c > bv : c < bv)) { bv = c; bi = k; }
        }
        values[o[0]] = bv;
        indices[o[2]] = bi;
    }
}

template <typename T>
__device__ __forceinline__ void extreme_rows(const AxonGeometry& g, int max, T* values, const T* x, i64* indices, int n, int xStrideN)
{
    __shared__ T sv[AXON_BLOCK];
    __shared__ int si[AXON_BLOCK];
    AX_ROW_LOOP(r, g.numel)
    {
        int o[3];
        ax_offsets<3>(g, r, o);
        T bv = T(0);
        int bi = 0x7fffffff;   // no candidate yet: loses to any real index
        for (int k = threadIdx.x; k < n; k += AXON_BLOCK)
        {
            T c = x[o[1] + k * xStrideN];
            if (bi == 0x7fffffff || extreme_better(c, k, bv, bi, max != 0)) { bv = c; bi = k; }
        }
        sv[threadIdx.x] = bv;
        si[threadIdx.x] = bi;
        __syncthreads();
        for (int s = AXON_BLOCK / 2; s > 0; s >>= 1)
        {
            if ((int)threadIdx.x < s)
            {
                int oi = si[threadIdx.x + s];
                if (oi != 0x7fffffff && (si[threadIdx.x] == 0x7fffffff || extreme_better(sv[threadIdx.x + s], oi, sv[threadIdx.x], si[threadIdx.x], max != 0)))
                {
                    sv[threadIdx.x] = sv[threadIdx.x + s];
                    si[threadIdx.x] = oi;
                }
            }
            __syncthreads();
        }
        if (threadIdx.x == 0)
        {
            values[o[0]] = sv[0];
            indices[o[2]] = si[0];
        }
        __syncthreads();
    }
}

#define AX_EXTREME(T, S) \
    extern "C" __global__ void axon_extreme_cols_##S(AxonGeometry g, int max, T* values, const T* x, i64* indices, int n, int xStrideN) \
    { extreme_cols<T>(g, max, values, x, indices, n, xStrideN); } \
    extern "C" __global__ void axon_extreme_rows_##S(AxonGeometry g, int max, T* values, const T* x, i64* indices, int n, int xStrideN) \
    { extreme_rows<T>(g, max, values, x, indices, n, xStrideN); }
AX_ALL(AX_EXTREME)

// ---- softmax and log-softmax: m = max (NaN if any), then e^(x - m) / sum, or x - lse with lse = m + log(sum) (m
// itself when m is ±inf or NaN) ----

template <typename T>
__device__ __forceinline__ void softmax_cols(const AxonGeometry& g, int log, T* dst, const T* x, int n, int xStrideN, int dstStrideN)
{
    AX_GRID_LOOP(r, g.numel)
    {
        int o[2];
        ax_offsets<2>(g, r, o);
        const T* xr = x + o[1];
        T* yr = dst + o[0];
        T m = xr[0];
        for (int k = 1; k < n; k++) m = ax_max(m, xr[k * xStrideN]);
        T sum = T(0);
        if (log)
        {
            T lse = m;
            if (!ax_isinf(m) && !ax_isnan(m))
            {
                for (int k = 0; k < n; k++) sum += ax_exp(xr[k * xStrideN] - m);
                lse = m + ax_log(sum);
            }
            for (int k = 0; k < n; k++) yr[k * dstStrideN] = xr[k * xStrideN] - lse;
        }
        else
        {
            for (int k = 0; k < n; k++) sum += ax_exp(xr[k * xStrideN] - m);
            for (int k = 0; k < n; k++) yr[k * dstStrideN] = ax_exp(xr[k * xStrideN] - m) / sum;
        }
    }
}

template <typename T>
__device__ __forceinline__ void softmax_rows(const AxonGeometry& g, int log, T* dst, const T* x, int n, int xStrideN, int dstStrideN)
{
    __shared__ T shm[AXON_BLOCK];
    AX_ROW_LOOP(r, g.numel)
    {
        int o[2];
        ax_offsets<2>(g, r, o);
        const T* xr = x + o[1];
        T* yr = dst + o[0];
        T m = xr[0];
        for (int k = threadIdx.x; k < n; k += AXON_BLOCK) m = ax_max(m, xr[k * xStrideN]);
        m = ax_block_reduce(m, AxMaxNan(), shm);
        bool finite = !ax_isinf(m) && !ax_isnan(m);
        T sum = T(0);
        if (!log || finite)
            for (int k = threadIdx.x; k < n; k += AXON_BLOCK) sum += ax_exp(xr[k * xStrideN] - m);
        sum = ax_block_reduce(sum, AxSum(), shm);
        if (log)
        {
            T lse = finite ? m + ax_log(sum) : m;
            for (int k = threadIdx.x; k < n; k += AXON_BLOCK) yr[k * dstStrideN] = xr[k * xStrideN] - lse;
        }
        else
            for (int k = threadIdx.x; k < n; k += AXON_BLOCK) yr[k * dstStrideN] = ax_exp(xr[k * xStrideN] - m) / sum;
    }
}

#define AX_SOFTMAX(T, S) \
    extern "C" __global__ void axon_softmax_cols_##S(AxonGeometry g, int log, T* dst, const T* x, int n, int xStrideN, int dstStrideN) \
    { softmax_cols<T>(g, log, dst, x, n, xStrideN, dstStrideN); } \
    extern "C" __global__ void axon_softmax_rows_##S(AxonGeometry g, int log, T* dst, const T* x, int n, int xStrideN, int dstStrideN) \
    { softmax_rows<T>(g, log, dst, x, n, xStrideN, dstStrideN); }
AX_FLOATS(AX_SOFTMAX)

// ---- p-norms in double (kind 0: p = 1, 1: p = 2, 2: p = +inf, 3: any other p); the max propagates NaN ----

template <typename T>
__device__ __forceinline__ void norm_partial(const AxonGeometry& g, const T* x, int kind, double p, double* partials)
{
    __shared__ double shm[AXON_BLOCK];
    double s = 0;
    AX_GRID_LOOP(i, g.numel)
    {
        double a = fabs((double)x[ax_offset(g, 0, i)]);
        s = kind == 2 ? ax_max(s, a) : s + (kind == 1 ? a * a : kind == 0 ? a : pow(a, p));
    }
    s = kind == 2 ? ax_block_reduce(s, AxMaxNan(), shm) : ax_block_reduce(s, AxSum(), shm);
    if (threadIdx.x == 0) partials[blockIdx.x] = s;
}

extern "C" __global__ void axon_norm_final(const double* partials, int count, int kind, double p, double* result)
{
    __shared__ double shm[AXON_BLOCK];
    double s = 0;
    for (int k = threadIdx.x; k < count; k += AXON_BLOCK) s = kind == 2 ? ax_max(s, partials[k]) : s + partials[k];
    s = kind == 2 ? ax_block_reduce(s, AxMaxNan(), shm) : ax_block_reduce(s, AxSum(), shm);
    if (threadIdx.x == 0) result[0] = kind == 1 ? sqrt(s) : kind == 3 ? pow(s, 1 / p) : s;
}

#define AX_NORM(T, S) \
    extern "C" __global__ void axon_norm_partial_##S(AxonGeometry g, const T* x, int kind, double p, double* partials) { norm_partial<T>(g, x, kind, p, partials); }
AX_ALL(AX_NORM)

// ---- the smallest and largest int64 index (for bound checks before indexing kernels) ----

extern "C" __global__ void axon_index_range_partial_i64(AxonGeometry g, const i64* x, i64* partials)
{
    __shared__ i64 shm[AXON_BLOCK];
    i64 lo = (i64)0x7fffffffffffffffLL, hi = (i64)0x8000000000000000ULL;
    AX_GRID_LOOP(i, g.numel)
    {
        i64 v = x[ax_offset(g, 0, i)];
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    lo = ax_block_reduce(lo, AxMinInt(), shm);
    hi = ax_block_reduce(hi, AxMaxInt(), shm);
    if (threadIdx.x == 0) { partials[2 * blockIdx.x] = lo; partials[2 * blockIdx.x + 1] = hi; }
}

extern "C" __global__ void axon_index_range_final_i64(const i64* partials, int count, i64* result)
{
    __shared__ i64 shm[AXON_BLOCK];
    i64 lo = (i64)0x7fffffffffffffffLL, hi = (i64)0x8000000000000000ULL;
    for (int k = threadIdx.x; k < count; k += AXON_BLOCK)
    {
        lo = partials[2 * k] < lo ? partials[2 * k] : lo;
        hi = partials[2 * k + 1] > hi ? partials[2 * k + 1] : hi;
    }
    lo = ax_block_reduce(lo, AxMinInt(), shm);
    hi = ax_block_reduce(hi, AxMaxInt(), shm);
    if (threadIdx.x == 0) { result[0] = lo; result[1] = hi; }
}
