// Batch normalisation over x [N, C, *] (S = the product of the trailing sizes; element (n, c, s) at row-major
// position (n C + c) S + s, read through an AxonGeometry over x's shape). Statistics and the normalisation are
// computed in double and rounded once, as ReferenceBackend.Normalization: one block per channel for the statistics
// (two passes, mean then squared deviations, fixed trees), one thread per element for the normalisation, fused with
// the residual add and ReLU of BatchNormAct, and the same split for the backward.
#include "axon_common.cuh"

// Training: the batch's mean and biased variance of channel c, running statistics (when given) updated as
// (1 - momentum) running + momentum stat with the variance unbiased by M / (M - 1). Otherwise the running statistics.
// Writes mean and 1 / sqrt(var + eps) to saveMean, saveInvStd (float64 [C]).
template <typename T>
__device__ __forceinline__ void bn_stats(const AxonGeometry& g, const T* x, int n, int c, int s, int training, double momentum, double eps,
    T* runningMean, T* runningVar, double* saveMean, double* saveInvStd)
{
    __shared__ double shm[AXON_BLOCK];
    AX_ROW_LOOP(ch, c)
    {
        double mean, variance;
        if (training)
        {
            i64 m = (i64)n * s;
            double sum = 0;
            for (i64 j = threadIdx.x; j < m; j += AXON_BLOCK) sum += (double)x[ax_offset(g, 0, (j / s * c + ch) * s + j % s)];
            mean = ax_block_reduce(sum, AxSum(), shm) / (double)m;
            double sq = 0;
            for (i64 j = threadIdx.x; j < m; j += AXON_BLOCK)
            {
                double d = (double)x[ax_offset(g, 0, (j / s * c + ch) * s + j % s)] - mean;
                sq += d * d;
            }
            variance = ax_block_reduce(sq, AxSum(), shm) / (double)m;
            if (threadIdx.x == 0)
            {
                if (runningMean) runningMean[ch] = (T)((1 - momentum) * (double)runningMean[ch] + momentum * mean);
                if (runningVar) runningVar[ch] = (T)((1 - momentum) * (double)runningVar[ch] + momentum * variance * ((double)m / (double)(m - 1)));
            }
        }
        else
        {
            mean = (double)runningMean[ch];
            variance = (double)runningVar[ch];
        }
        if (threadIdx.x == 0)
        {
            saveMean[ch] = mean;
            saveInvStd[ch] = 1 / sqrt(variance + eps);
        }
    }
}

// y = (x - mean) invstd w + b rounded to T; then + residual (in T) and ReLU when asked: BatchNormAct's values exactly.
// Geometry over x's shape: operand 0 y, 1 x, 2 the residual (any strides; ignored when null).
template <typename T>
__device__ __forceinline__ void bn_apply(const AxonGeometry& g, T* y, const T* x, const T* residual, int c, int s,
    const double* mean, const double* invStd, const T* weight, const T* bias, int relu)
{
    AX_GRID_LOOP(e, g.numel)
    {
        int o[3];
        ax_offsets<3>(g, e, o);
        int ch = (int)(e / s % c);
        double w = weight ? (double)weight[ch] : 1.0, b = bias ? (double)bias[ch] : 0.0;
        T v = (T)(((double)x[o[1]] - mean[ch]) * invStd[ch] * w + b);
        if (residual) v = v + residual[o[2]];
        if (relu) v = v <= T(0) ? T(0) : v;
        y[o[0]] = v;
    }
}

// Per channel (one block each): sumG = Σ gy and sumGXhat = Σ gy x̂ in double; gw = sumGXhat, gb = sumG (when given),
// and both sums to sums[2 ch], sums[2 ch + 1] for the input gradient. Geometry over x's shape: operand 0 x, 1 gy.
template <typename T>
__device__ __forceinline__ void bn_backward_reduce(const AxonGeometry& g, const T* x, const T* gy, int n, int c, int s,
    const double* mean, const double* invStd, T* gw, T* gb, double* sums)
{
    __shared__ double shm[AXON_BLOCK];
    AX_ROW_LOOP(ch, c)
    {
        i64 m = (i64)n * s;
        double mu = mean[ch], is = invStd[ch], sumG = 0, sumGX = 0;
        for (i64 j = threadIdx.x; j < m; j += AXON_BLOCK)
        {
            int o[2];
            ax_offsets<2>(g, (j / s * c + ch) * s + j % s, o);
            double gv = (double)gy[o[1]];
            sumG += gv;
            sumGX += gv * ((double)x[o[0]] - mu) * is;
        }
        sumG = ax_block_reduce(sumG, AxSum(), shm);
        sumGX = ax_block_reduce(sumGX, AxSum(), shm);
        if (threadIdx.x == 0)
        {
            if (gw) gw[ch] = (T)sumGX;
            if (gb) gb[ch] = (T)sumG;
            sums[2 * ch] = sumG;
            sums[2 * ch + 1] = sumGX;
        }
    }
}

// gx = k (gy - sumG / M - x̂ sumGXhat / M) in training, k gy otherwise, with k = invstd w. Geometry over x's shape:
// operand 0 gx, 1 x, 2 gy.
template <typename T>
__device__ __forceinline__ void bn_backward_input(const AxonGeometry& g, T* gx, const T* x, const T* gy, int c, int s, double m,
    const double* mean, const double* invStd, const T* weight, int training, const double* sums)
{
    AX_GRID_LOOP(e, g.numel)
    {
        int o[3];
        ax_offsets<3>(g, e, o);
        int ch = (int)(e / s % c);
        double k = invStd[ch] * (weight ? (double)weight[ch] : 1.0);
        double gv = (double)gy[o[2]];
        double xhat = ((double)x[o[1]] - mean[ch]) * invStd[ch];
        gx[o[0]] = (T)(training ? k * (gv - sums[2 * ch] / m - xhat * sums[2 * ch + 1] / m) : k * gv);
    }
}

#define AX_BN(T, S) \
    extern "C" __global__ void axon_batch_norm_stats_##S(AxonGeometry g, const T* x, int n, int c, int s, int training, double momentum, double eps, \
        T* runningMean, T* runningVar, double* saveMean, double* saveInvStd) \
    { bn_stats<T>(g, x, n, c, s, training, momentum, eps, runningMean, runningVar, saveMean, saveInvStd); } \
    extern "C" __global__ void axon_batch_norm_apply_##S(AxonGeometry g, T* y, const T* x, const T* residual, int c, int s, \
        const double* mean, const double* invStd, const T* weight, const T* bias, int relu) \
    { bn_apply<T>(g, y, x, residual, c, s, mean, invStd, weight, bias, relu); } \
    extern "C" __global__ void axon_batch_norm_backward_reduce_##S(AxonGeometry g, const T* x, const T* gy, int n, int c, int s, \
        const double* mean, const double* invStd, T* gw, T* gb, double* sums) \
    { bn_backward_reduce<T>(g, x, gy, n, c, s, mean, invStd, gw, gb, sums); } \
    extern "C" __global__ void axon_batch_norm_backward_input_##S(AxonGeometry g, T* gx, const T* x, const T* gy, int c, int s, double m, \
        const double* mean, const double* invStd, const T* weight, int training, const double* sums) \
    { bn_backward_input<T>(g, gx, x, gy, c, s, m, mean, invStd, weight, training, sums); }
AX_FLOATS(AX_BN)
