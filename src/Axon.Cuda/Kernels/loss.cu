// Losses: softmax cross-entropy on class indices (forward rows, a deterministic reduction, backward) and binary
// cross-entropy with logits (element-wise through an AxonGeometry). Reduction codes are Axon's Reduction values:
// 0 Mean, 1 Sum, 2 None. Formulas mirror ReferenceBackend.Loss and .BinaryCrossEntropy in the logits' type.
#include "axon_common.cuh"

// ---- binary cross-entropy with logits: loss = (1 - t) x + (log(1 + e^-|x|) + max(-x, 0)); grad (σ(x) - t) g ----

#define AX_BCE(T, S) \
    extern "C" __global__ void axon_bce_logits_##S(AxonGeometry g, T* loss, const T* x, const T* target) \
    { \
        AX_GRID_LOOP(i, g.numel) \
        { \
            int o[3]; ax_offsets<3>(g, i, o); \
            T xi = x[o[1]], ti = target[o[2]]; \
            loss[o[0]] = (T(1) - ti) * xi + (ax_log(T(1) + ax_exp(-ax_abs(xi))) + ax_max(-xi, T(0))); \
        } \
    } \
    extern "C" __global__ void axon_bce_logits_backward_##S(AxonGeometry g, T* gx, const T* x, const T* target, const T* grad) \
    { \
        AX_GRID_LOOP(i, g.numel) \
        { \
            int o[4]; ax_offsets<4>(g, i, o); \
            gx[o[0]] = (T(1) / (T(1) + ax_exp(-x[o[1]])) - target[o[2]]) * grad[o[3]]; \
        } \
    }
AX_FLOATS(AX_BCE)

// ---- cross-entropy forward: one block per row of x [rows, classes] (strides xs0, xs1) ----
// lse[i] = m + log Σ e^(x - m) (m itself when ±inf or NaN); rowLoss[i] = -(x[i, t] - lse[i]) (times weight[t]) and
// rowWeight[i] = weight[t] (0 unweighted); with reduction None the row loss also goes to loss[i].

template <typename T>
__device__ __forceinline__ void ce_rows(const T* x, int rows, int classes, int xs0, int xs1, const i64* target, int ts,
    const T* weight, int ws, int reduction, T* loss, T* lse, T* rowLoss, T* rowWeight)
{
    __shared__ T shm[AXON_BLOCK];
    AX_ROW_LOOP(i, rows)
    {
        const T* xr = x + i * xs0;
        T m = xr[0];
        for (int j = threadIdx.x; j < classes; j += AXON_BLOCK) m = ax_max(m, xr[j * xs1]);
        m = ax_block_reduce(m, AxMaxNan(), shm);
        bool finite = !ax_isinf(m) && !ax_isnan(m);
        T sum = T(0);
        if (finite)
            for (int j = threadIdx.x; j < classes; j += AXON_BLOCK) sum += ax_exp(xr[j * xs1] - m);
        sum = ax_block_reduce(sum, AxSum(), shm);
        if (threadIdx.x == 0)
        {
            T l = finite ? m + ax_log(sum) : m;
            lse[i] = l;
            int t = (int)target[i * ts];
            T li = -(xr[t * xs1] - l), w = T(0);
            if (weight) { w = weight[t * ws]; li *= w; }
            if (reduction == 2) loss[i] = li;
            rowLoss[i] = li;
            rowWeight[i] = w;
        }
    }
}

// One block: the sum of the row losses (and weights) in a fixed tree; Sum or Mean (over rows, or over the targets'
// weights when weighted) into loss[0]; the weight sum, for the backward, into weightSum[0].
template <typename T>
__device__ __forceinline__ void ce_reduce(const T* rowLoss, const T* rowWeight, int rows, int reduction, int weighted, T* loss, double* weightSum)
{
    __shared__ T shm[AXON_BLOCK];
    T total = T(0), weights = T(0);
    for (int i = threadIdx.x; i < rows; i += AXON_BLOCK) { total += rowLoss[i]; weights += rowWeight[i]; }
    total = ax_block_reduce(total, AxSum(), shm);
    weights = ax_block_reduce(weights, AxSum(), shm);
    if (threadIdx.x == 0)
    {
        if (reduction == 1) loss[0] = total;
        if (reduction == 0) loss[0] = total / (weighted ? weights : (T)rows);
        weightSum[0] = weighted ? (double)weights : 0.0;
    }
}

// gx[i, j] = e^(x - lse) s - [j = t] s with s = g / N (Mean; over the weight sum when weighted), g (Sum) or g[i]
// (None), times weight[t]; one thread per element of the contiguous gx.
template <typename T>
__device__ __forceinline__ void ce_backward(const T* x, int rows, int classes, int xs0, int xs1, const T* lse, const i64* target, int ts,
    const T* weight, int ws, int reduction, double weightSum, const T* grad, int gs, T* gx)
{
    T g0 = reduction == 2 ? T(0) : grad[0];
    if (reduction == 0) g0 /= weight ? (T)weightSum : (T)rows;
    AX_GRID_LOOP(e, (i64)rows * classes)
    {
        int i = (int)(e / classes), j = (int)(e % classes);
        int t = (int)target[i * ts];
        T s = reduction == 2 ? grad[i * gs] : g0;
        if (weight) s *= weight[t * ws];
        T p = ax_exp(x[i * xs0 + j * xs1] - lse[i]);
        gx[e] = p * s - (j == t ? s : T(0));
    }
}

#define AX_CE(T, S) \
    extern "C" __global__ void axon_cross_entropy_rows_##S(const T* x, int rows, int classes, int xs0, int xs1, const i64* target, int ts, \
        const T* weight, int ws, int reduction, T* loss, T* lse, T* rowLoss, T* rowWeight) \
    { ce_rows<T>(x, rows, classes, xs0, xs1, target, ts, weight, ws, reduction, loss, lse, rowLoss, rowWeight); } \
    extern "C" __global__ void axon_cross_entropy_reduce_##S(const T* rowLoss, const T* rowWeight, int rows, int reduction, int weighted, \
        T* loss, double* weightSum) \
    { ce_reduce<T>(rowLoss, rowWeight, rows, reduction, weighted, loss, weightSum); } \
    extern "C" __global__ void axon_cross_entropy_backward_##S(const T* x, int rows, int classes, int xs0, int xs1, const T* lse, \
        const i64* target, int ts, const T* weight, int ws, int reduction, double weightSum, const T* grad, int gs, T* gx) \
    { ce_backward<T>(x, rows, classes, xs0, xs1, lse, target, ts, weight, ws, reduction, weightSum, grad, gs, gx); }
AX_FLOATS(AX_CE)
