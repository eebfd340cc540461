// 2-D pooling on [N, C, H, W]: max pooling with its argmax (int64, the output's shape, contiguous: each maximum's
// flat position ih * W + iw in its plane, -1 for a window without input), its backward and gather, average pooling
// (count_include_pad, adaptive) and its backward. Forward kernels run one thread per output; backward kernels one
// thread per input element, visiting the outputs whose window may hold it in row-major order, so each gradient is
// summed in the reference's order without atomics (bit-identical). Mirrors ReferenceBackend.Pooling.
#include "axon_common.cuh"

// The window geometry, by value (mirrored by Axon.Cuda.Kernels.KernelPool2d). xs: strides of the input-side operand
// (x, or gx), ys: of the output-side operand (y, or gy), in elements, order N, C, H, W.
struct AxonPool2d
{
    int n, c, h, w, outH, outW, kh, kw, sh, sw, pt, pl, dh, dw;
    int xs[4];
    int ys[4];
};

template <typename T>
__device__ __forceinline__ void maxpool_forward(const AxonPool2d& p, const T* x, T* y, i64* argmax)
{
    AX_GRID_LOOP(e, (i64)p.n * p.c * p.outH * p.outW)
    {
        int ow = (int)(e % p.outW), oh = (int)(e / p.outW % p.outH), c = (int)(e / ((i64)p.outW * p.outH) % p.c), n = (int)(e / ((i64)p.outW * p.outH * p.c));
        const T* xp = x + n * p.xs[0] + c * p.xs[1];
        T best = AxLimits<T>::neg_inf();
        int at = -1;
        for (int i = 0; i < p.kh; i++)
        {
            int ih = oh * p.sh - p.pt + i * p.dh;
            if (ih < 0 || ih >= p.h) continue;
            for (int j = 0; j < p.kw; j++)
            {
                int iw = ow * p.sw - p.pl + j * p.dw;
                if (iw < 0 || iw >= p.w) continue;
                T v = xp[ih * p.xs[2] + iw * p.xs[3]];
                if (at < 0 || v > best || ax_isnan(v)) { best = v; at = ih * p.w + iw; }
            }
        }
        y[n * p.ys[0] + c * p.ys[1] + oh * p.ys[2] + ow * p.ys[3]] = best;
        if (argmax) argmax[e] = at;
    }
}

// The loose range [lo, hi] of outputs along one axis whose taps may reach input i (checked exactly by the caller).
__device__ __forceinline__ void ax_pool_range(int i, int pad, int kernel, int stride, int dilation, int outSize, int& lo, int& hi)
{
    int first = i + pad - (kernel - 1) * dilation;
    lo = first <= 0 ? 0 : first / stride;
    hi = (i + pad) / stride;
    if (hi > outSize - 1) hi = outSize - 1;
}

template <typename T>
__device__ __forceinline__ void maxpool_backward(const AxonPool2d& p, const T* gy, const i64* argmax, T* gx)
{
    AX_GRID_LOOP(e, (i64)p.n * p.c * p.h * p.w)
    {
        int iw = (int)(e % p.w), ih = (int)(e / p.w % p.h);
        i64 plane = e / ((i64)p.w * p.h);
        int c = (int)(plane % p.c), n = (int)(plane / p.c);
        int h0, h1, w0, w1;
        ax_pool_range(ih, p.pt, p.kh, p.sh, p.dh, p.outH, h0, h1);
        ax_pool_range(iw, p.pl, p.kw, p.sw, p.dw, p.outW, w0, w1);
        i64 self = ih * p.w + iw;
        const i64* am = argmax + plane * p.outH * p.outW;
        T s = T(0);
        for (int oh = h0; oh <= h1; oh++)
            for (int ow = w0; ow <= w1; ow++)
                if (am[oh * p.outW + ow] == self) s += gy[n * p.ys[0] + c * p.ys[1] + oh * p.ys[2] + ow * p.ys[3]];
        gx[e] = s;
    }
}

template <typename T>
__device__ __forceinline__ void maxpool_gather(const AxonPool2d& p, const T* x, const i64* argmax, T* y)
{
    AX_GRID_LOOP(e, (i64)p.n * p.c * p.outH * p.outW)
    {
        i64 plane = e / ((i64)p.outW * p.outH);
        int ow = (int)(e % p.outW), oh = (int)(e / p.outW % p.outH), c = (int)(plane % p.c), n = (int)(plane / p.c);
        i64 at = argmax[e];
        y[n * p.ys[0] + c * p.ys[1] + oh * p.ys[2] + ow * p.ys[3]] =
            at < 0 ? T(0) : x[n * p.xs[0] + c * p.xs[1] + (int)(at / p.w) * p.xs[2] + (int)(at % p.w) * p.xs[3]];
    }
}

// The input rows [h0, h1), columns [w0, w1) that output (oh, ow) averages and its divisor, as the reference's AvgWindow.
__device__ __forceinline__ int ax_avg_window(const AxonPool2d& p, int oh, int ow, int countIncludePad, int adaptive, int& h0, int& h1, int& w0, int& w1)
{
    if (adaptive)
    {
        h0 = (int)((i64)oh * p.h / p.outH); h1 = (int)(((i64)(oh + 1) * p.h + p.outH - 1) / p.outH);
        w0 = (int)((i64)ow * p.w / p.outW); w1 = (int)(((i64)(ow + 1) * p.w + p.outW - 1) / p.outW);
        return (h1 - h0) * (w1 - w0);
    }
    h0 = oh * p.sh - p.pt; w0 = ow * p.sw - p.pl;
    h1 = h0 + p.kh < p.h + p.pt ? h0 + p.kh : p.h + p.pt;
    w1 = w0 + p.kw < p.w + p.pl ? w0 + p.kw : p.w + p.pl;
    int padded = (h1 - h0) * (w1 - w0);
    h0 = h0 > 0 ? h0 : 0; w0 = w0 > 0 ? w0 : 0; h1 = h1 < p.h ? h1 : p.h; w1 = w1 < p.w ? w1 : p.w;
    int dh = h1 - h0 > 0 ? h1 - h0 : 0, dw = w1 - w0 > 0 ? w1 - w0 : 0;
    return countIncludePad ? padded : dh * dw;
}

template <typename T>
__device__ __forceinline__ void avgpool_forward(const AxonPool2d& p, int countIncludePad, int adaptive, const T* x, T* y)
{
    AX_GRID_LOOP(e, (i64)p.n * p.c * p.outH * p.outW)
    {
        i64 plane = e / ((i64)p.outW * p.outH);
        int ow = (int)(e % p.outW), oh = (int)(e / p.outW % p.outH), c = (int)(plane % p.c), n = (int)(plane / p.c);
        int h0, h1, w0, w1;
        int count = ax_avg_window(p, oh, ow, countIncludePad, adaptive, h0, h1, w0, w1);
        const T* xp = x + n * p.xs[0] + c * p.xs[1];
        T s = T(0);
        for (int ih = h0; ih < h1; ih++)
            for (int iw = w0; iw < w1; iw++) s += xp[ih * p.xs[2] + iw * p.xs[3]];
        y[n * p.ys[0] + c * p.ys[1] + oh * p.ys[2] + ow * p.ys[3]] = count > 0 ? s / (T)count : T(0);
    }
}

template <typename T>
__device__ __forceinline__ void avgpool_backward(const AxonPool2d& p, int countIncludePad, int adaptive, const T* gy, T* gx)
{
    AX_GRID_LOOP(e, (i64)p.n * p.c * p.h * p.w)
    {
        int iw = (int)(e % p.w), ih = (int)(e / p.w % p.h);
        i64 plane = e / ((i64)p.w * p.h);
        int c = (int)(plane % p.c), n = (int)(plane / p.c);
        int oh0, oh1, ow0, ow1;
        if (adaptive)
        {
            oh0 = (int)((i64)ih * p.outH / p.h) - 1; oh1 = (int)(((i64)ih + 1) * p.outH / p.h) + 1;
            ow0 = (int)((i64)iw * p.outW / p.w) - 1; ow1 = (int)(((i64)iw + 1) * p.outW / p.w) + 1;
            oh0 = oh0 < 0 ? 0 : oh0; ow0 = ow0 < 0 ? 0 : ow0;
            oh1 = oh1 > p.outH - 1 ? p.outH - 1 : oh1; ow1 = ow1 > p.outW - 1 ? p.outW - 1 : ow1;
        }
        else
        {
            ax_pool_range(ih, p.pt, p.kh, p.sh, 1, p.outH, oh0, oh1);
            ax_pool_range(iw, p.pl, p.kw, p.sw, 1, p.outW, ow0, ow1);
        }
        T s = T(0);
        for (int oh = oh0; oh <= oh1; oh++)
            for (int ow = ow0; ow <= ow1; ow++)
            {
                int h0, h1, w0, w1;
                int count = ax_avg_window(p, oh, ow, countIncludePad, adaptive, h0, h1, w0, w1);
                if (count == 0 || ih < h0 || ih >= h1 || iw < w0 || iw >= w1) continue;
                s += gy[n * p.ys[0] + c * p.ys[1] + oh * p.ys[2] + ow * p.ys[3]] / (T)count;
            }
        gx[e] = s;
    }
}

#define AX_POOL(T, S) \
    extern "C" __global__ void axon_maxpool2d_##S(AxonPool2d p, const T* x, T* y, i64* argmax) { maxpool_forward<T>(p, x, y, argmax); } \
    extern "C" __global__ void axon_maxpool2d_backward_##S(AxonPool2d p, const T* gy, const i64* argmax, T* gx) { maxpool_backward<T>(p, gy, argmax, gx); } \
    extern "C" __global__ void axon_maxpool2d_gather_##S(AxonPool2d p, const T* x, const i64* argmax, T* y) { maxpool_gather<T>(p, x, argmax, y); } \
    extern "C" __global__ void axon_avgpool2d_##S(AxonPool2d p, int countIncludePad, int adaptive, const T* x, T* y) \
    { avgpool_forward<T>(p, countIncludePad, adaptive, x, y); } \
    extern "C" __global__ void axon_avgpool2d_backward_##S(AxonPool2d p, int countIncludePad, int adaptive, const T* gy, T* gx) \
    { avgpool_backward<T>(p, countIncludePad, adaptive, gy, gx); }
AX_FLOATS(AX_POOL)
