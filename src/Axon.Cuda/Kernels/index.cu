// Indexing: index-select, index-add, gather, scatter-add and the embedding's backward, float32, float64 and int64.
// Indices are int64 and already checked by the runtime (axon_index_range_*), as the reference checks before writing.
// The accumulating kernels give each thread one "column" (every position but the indexed dimension) and walk the
// index in order, so contributions to an element are added in the reference's order with no atomics: bit-identical
// results, at the price of parallelism limited to the column count (documented in README.md).
#include "axon_common.cuh"

// dst[.., i, ..] = x[.., index[i], ..]: geometry over dst's shape, operand 0 dst, operand 1 x with stride 0 at dim;
// the coordinate at dim is (e / inner) % count.
template <typename T>
__device__ __forceinline__ void index_select(const AxonGeometry& g, T* dst, const T* x, const i64* index, int indexStride, int count, int inner, int xStrideDim)
{
    AX_GRID_LOOP(e, g.numel)
    {
        int o[2];
        ax_offsets<2>(g, e, o);
        int k = (int)(e / inner % count);
        dst[o[0]] = x[o[1] + (int)index[k * indexStride] * xStrideDim];
    }
}

// dst[.., index[k], ..] += src[.., k, ..]: geometry over src's shape without dim (operand 0 dst, 1 src), one thread
// per column, k in order.
template <typename T>
__device__ __forceinline__ void index_add(const AxonGeometry& g, T* dst, const T* src, const i64* index, int indexStride, int count, int dstStrideDim, int srcStrideDim)
{
    AX_GRID_LOOP(c, g.numel)
    {
        int o[2];
        ax_offsets<2>(g, c, o);
        for (int k = 0; k < count; k++) dst[o[0] + (int)index[k * indexStride] * dstStrideDim] += src[o[1] + k * srcStrideDim];
    }
}

// gradWeight[index[i], j] += grad[i, j] for i in order, skipping paddingIdx; one thread per column j.
template <typename T>
__device__ __forceinline__ void embedding_backward(T* gw, int gws0, int gws1, const i64* index, int indexStride, int count,
    const T* grad, int gs0, int gs1, int dim, i64 paddingIdx)
{
    AX_GRID_LOOP(j, dim)
        for (int i = 0; i < count; i++)
        {
            i64 r = index[i * indexStride];
            if (r != paddingIdx) gw[(int)r * gws0 + (int)j * gws1] += grad[i * gs0 + (int)j * gs1];
        }
}

// dst[c] = x[c with dim replaced by index[c]]: geometry over the index's shape, operands dst, x (stride 0 at dim), index.
template <typename T>
__device__ __forceinline__ void gather(const AxonGeometry& g, T* dst, const T* x, const i64* index, int xStrideDim)
{
    AX_GRID_LOOP(e, g.numel)
    {
        int o[3];
        ax_offsets<3>(g, e, o);
        dst[o[0]] = x[o[1] + (int)index[o[2]] * xStrideDim];
    }
}

// dst[c with dim replaced by index[c]] += src[c]: geometry over the index's shape without dim (operands dst, src,
// index), one thread per column walking the index's dim in order.
template <typename T>
__device__ __forceinline__ void scatter_add(const AxonGeometry& g, T* dst, const T* src, const i64* index, int count, int dstStrideDim, int srcStrideDim, int indexStrideDim)
{
    AX_GRID_LOOP(c, g.numel)
    {
        int o[3];
        ax_offsets<3>(g, c, o);
        for (int k = 0; k < count; k++) dst[o[0] + (int)index[o[2] + k * indexStrideDim] * dstStrideDim] += src[o[1] + k * srcStrideDim];
    }
}

#define AX_INDEX(T, S) \
    extern "C" __global__ void axon_index_select_##S(AxonGeometry g, T* dst, const T* x, const i64* index, int indexStride, int count, int inner, int xStrideDim) \
    { index_select<T>(g, dst, x, index, indexStride, count, inner, xStrideDim); } \
    extern "C" __global__ void axon_index_add_##S(AxonGeometry g, T* dst, const T* src, const i64* index, int indexStride, int count, int dstStrideDim, int srcStrideDim) \
    { index_add<T>(g, dst, src, index, indexStride, count, dstStrideDim, srcStrideDim); } \
    extern "C" __global__ void axon_embedding_backward_##S(T* gradWeight, int gws0, int gws1, const i64* index, int indexStride, int count, \
        const T* grad, int gs0, int gs1, int dim, i64 paddingIdx) \
    { embedding_backward<T>(gradWeight, gws0, gws1, index, indexStride, count, grad, gs0, gs1, dim, paddingIdx); } \
    extern "C" __global__ void axon_gather_##S(AxonGeometry g, T* dst, const T* x, const i64* index, int xStrideDim) \
    { gather<T>(g, dst, x, index, xStrideDim); } \
    extern "C" __global__ void axon_scatter_add_##S(AxonGeometry g, T* dst, const T* src, const i64* index, int count, int dstStrideDim, int srcStrideDim, int indexStrideDim) \
    { scatter_add<T>(g, dst, src, index, count, dstStrideDim, srcStrideDim, indexStrideDim); }
AX_ALL(AX_INDEX)
