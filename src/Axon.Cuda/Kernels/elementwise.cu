// Element-wise kernels: copy, cast, fill, unary and binary ops with broadcasting, where, clamp, leaky ReLU, softplus,
// activation backward, axpy and scaling. One thread per element in a grid-stride loop over the destination's
// row-major positions; operands are read through an AxonGeometry (operand 0 the destination), with a dense fast path
// when every operand is contiguous. Formulas mirror Axon's ReferenceBackend.Elementwise operation by operation.
#include "axon_common.cuh"

// ---- copy and cast ----

template <typename TFrom, typename TTo> struct AxConvert { static __device__ __forceinline__ TTo go(TFrom v) { return (TTo)v; } };
template <> struct AxConvert<float, i64> { static __device__ __forceinline__ i64 go(float v) { return ax_to_i64(v); } };
template <> struct AxConvert<double, i64> { static __device__ __forceinline__ i64 go(double v) { return ax_to_i64(v); } };

template <typename TFrom, typename TTo>
__device__ __forceinline__ void cast_kernel(const AxonGeometry& g, TTo* dst, const TFrom* src)
{
    AX_GRID_LOOP(i, g.numel)
    {
        int o[2];
        ax_offsets<2>(g, i, o);
        dst[o[0]] = AxConvert<TFrom, TTo>::go(src[o[1]]);
    }
}

#define AX_COPY(T, S) extern "C" __global__ void axon_copy_##S(AxonGeometry g, T* dst, const T* src) { cast_kernel<T, T>(g, dst, src); }
AX_ALL(AX_COPY)

#define AX_CAST(TF, SF, TT, ST) extern "C" __global__ void axon_cast_##SF##_##ST(AxonGeometry g, TT* dst, const TF* src) { cast_kernel<TF, TT>(g, dst, src); }
AX_CAST(float, f32, double, f64)
AX_CAST(float, f32, i64, i64)
AX_CAST(double, f64, float, f32)
AX_CAST(double, f64, i64, i64)
AX_CAST(i64, i64, float, f32)
AX_CAST(i64, i64, double, f64)

// ---- fill (value converted from double as the reference's SetDouble) ----

template <typename T> __device__ __forceinline__ T ax_from_double(double v) { return (T)v; }
template <> __device__ __forceinline__ i64 ax_from_double<i64>(double v) { return ax_to_i64(v); }

#define AX_FILL(T, S) \
    extern "C" __global__ void axon_fill_##S(AxonGeometry g, T* dst, double value) \
    { T v = ax_from_double<T>(value); AX_GRID_LOOP(i, g.numel) dst[ax_offset(g, 0, i)] = v; }
AX_ALL(AX_FILL)

// ---- unary: op codes are UnaryOp's values ----

template <typename T>
__device__ __forceinline__ T unary_float(int op, T x)
{
    switch (op)
    {
    case 0: return -x;
    case 1: return ax_abs(x);
    case 2: return ax_exp(x);
    case 3: return ax_log(x);
    case 4: return ax_sqrt(x);
    case 5: return ax_tanh(x);
    case 6: return T(1) / (T(1) + ax_exp(-x));
    case 7: return x <= T(0) ? T(0) : x;                                 // NaN stays NaN, -0 becomes +0
    case 8: return x > T(0) ? T(1) : x < T(0) ? T(-1) : x;               // sign(±0) = ±0, sign(NaN) = NaN
    case 9: return x >= T(0) ? T(1) : ax_isnan(x) ? x : T(0);
    case 10: return x * x;
    default: return T(1) / x;
    }
}

// Int64 supports Neg, Abs, Square and Sign; the runtime rejects the other codes before launching.
__device__ __forceinline__ i64 unary_int(int op, i64 x)
{
    switch (op)
    {
    case 0: return -x;
    case 1: return x < 0 ? -x : x;
    case 10: return x * x;
    default: return x > 0 ? 1 : x < 0 ? -1 : 0;
    }
}

template <typename T> __device__ __forceinline__ T unary_apply(int op, T x) { return unary_float(op, x); }
template <> __device__ __forceinline__ i64 unary_apply<i64>(int op, i64 x) { return unary_int(op, x); }

template <typename T>
__device__ __forceinline__ void unary_kernel(const AxonGeometry& g, int op, T* dst, const T* x)
{
    AX_GRID_LOOP(i, g.numel)
    {
        int o[2];
        ax_offsets<2>(g, i, o);
        dst[o[0]] = unary_apply<T>(op, x[o[1]]);
    }
}

#define AX_UNARY(T, S) extern "C" __global__ void axon_unary_##S(AxonGeometry g, int op, T* dst, const T* x) { unary_kernel<T>(g, op, dst, x); }
AX_ALL(AX_UNARY)

// ---- binary: op codes are BinaryOp's values; comparisons give 1 or 0 ----

template <typename T>
__device__ __forceinline__ T binary_float(int op, T x, T y)
{
    switch (op)
    {
    case 0: return x + y;
    case 1: return x - y;
    case 2: return x * y;
    case 3: return x / y;
    case 4: return ax_max(x, y);
    case 5: return ax_min(x, y);
    case 6: return ax_pow(x, y);
    case 7: return x == y ? T(1) : T(0);
    case 8: return x != y ? T(1) : T(0);
    case 9: return x < y ? T(1) : T(0);
    case 10: return x <= y ? T(1) : T(0);
    case 11: return x > y ? T(1) : T(0);
    default: return x >= y ? T(1) : T(0);
    }
}

// Int64 division truncates; a zero divisor gives 0 here (the runtime checks divisors first, as the reference throws).
__device__ __forceinline__ i64 binary_int(int op, i64 x, i64 y)
{
    switch (op)
    {
    case 0: return x + y;
    case 1: return x - y;
    case 2: return x * y;
    case 3: return y == 0 ? 0 : x / y;
    case 4: return x > y ? x : y;
    case 5: return x < y ? x : y;
    case 6: return ax_to_i64(pow((double)x, (double)y));
    case 7: return x == y;
    case 8: return x != y;
    case 9: return x < y;
    case 10: return x <= y;
    case 11: return x > y;
    default: return x >= y;
    }
}

template <typename T> __device__ __forceinline__ T binary_apply(int op, T x, T y) { return binary_float(op, x, y); }
template <> __device__ __forceinline__ i64 binary_apply<i64>(int op, i64 x, i64 y) { return binary_int(op, x, y); }

template <typename T>
__device__ __forceinline__ void binary_kernel(const AxonGeometry& g, int op, T* dst, const T* a, const T* b)
{
    AX_GRID_LOOP(i, g.numel)
    {
        int o[3];
        ax_offsets<3>(g, i, o);
        dst[o[0]] = binary_apply<T>(op, a[o[1]], b[o[2]]);
    }
}

#define AX_BINARY(T, S) extern "C" __global__ void axon_binary_##S(AxonGeometry g, int op, T* dst, const T* a, const T* b) { binary_kernel<T>(g, op, dst, a, b); }
AX_ALL(AX_BINARY)

// ---- where: cond of any dtype (a NaN condition counts as true, -0 as false) ----

template <typename TC, typename T>
__device__ __forceinline__ void where_kernel(const AxonGeometry& g, T* dst, const TC* cond, const T* a, const T* b)
{
    AX_GRID_LOOP(i, g.numel)
    {
        int o[4];
        ax_offsets<4>(g, i, o);
        dst[o[0]] = cond[o[1]] != TC(0) ? a[o[2]] : b[o[3]];
    }
}

#define AX_WHERE(TC, SC, T, S) \
    extern "C" __global__ void axon_where_##SC##_##S(AxonGeometry g, T* dst, const TC* cond, const T* a, const T* b) { where_kernel<TC, T>(g, dst, cond, a, b); }
#define AX_WHERE_ALL(T, S) AX_WHERE(float, f32, T, S) AX_WHERE(double, f64, T, S) AX_WHERE(i64, i64, T, S)
AX_ALL(AX_WHERE_ALL)

// ---- clamp (float: lo and hi rounded to T; int64: through double as the reference) ----

template <typename T>
__device__ __forceinline__ void clamp_kernel(const AxonGeometry& g, T* dst, const T* x, double lo, double hi)
{
    T l = (T)lo, h = (T)hi;
    AX_GRID_LOOP(i, g.numel)
    {
        int o[2];
        ax_offsets<2>(g, i, o);
        T v = x[o[1]];
        dst[o[0]] = v < l ? l : v > h ? h : v;
    }
}

extern "C" __global__ void axon_clamp_f32(AxonGeometry g, float* dst, const float* x, double lo, double hi) { clamp_kernel<float>(g, dst, x, lo, hi); }
extern "C" __global__ void axon_clamp_f64(AxonGeometry g, double* dst, const double* x, double lo, double hi) { clamp_kernel<double>(g, dst, x, lo, hi); }
extern "C" __global__ void axon_clamp_i64(AxonGeometry g, i64* dst, const i64* x, double lo, double hi)
{
    AX_GRID_LOOP(i, g.numel)
    {
        int o[2];
        ax_offsets<2>(g, i, o);
        double v = (double)x[o[1]];
        dst[o[0]] = ax_to_i64(v < lo ? lo : v > hi ? hi : v);
    }
}

// ---- leaky ReLU, softplus ----

#define AX_LEAKY(T, S) \
    extern "C" __global__ void axon_leaky_relu_##S(AxonGeometry g, T* dst, const T* x, double slope) \
    { \
        T s = (T)slope; \
        AX_GRID_LOOP(i, g.numel) { int o[2]; ax_offsets<2>(g, i, o); T v = x[o[1]]; dst[o[0]] = v > T(0) ? v : s * v; } \
    }
AX_FLOATS(AX_LEAKY)

// In double for both types, rounded once; log1p(u) as log(w) u / (w - 1) with w = 1 + u, as the reference.
__device__ __forceinline__ double softplus_value(double x, double beta, double threshold)
{
    double z = beta * x;
    if (z > threshold) return x;
    double u = exp(-fabs(z)), w = 1 + u;
    double l1p = w == 1 ? u : log(w) * u / (w - 1);
    return ((z > 0 ? z : 0) + l1p) / beta;
}

#define AX_SOFTPLUS(T, S) \
    extern "C" __global__ void axon_softplus_##S(AxonGeometry g, T* dst, const T* x, double beta, double threshold) \
    { AX_GRID_LOOP(i, g.numel) { int o[2]; ax_offsets<2>(g, i, o); dst[o[0]] = (T)softplus_value((double)x[o[1]], beta, threshold); } }
AX_FLOATS(AX_SOFTPLUS)

// ---- activation backward (kind: ActivationGrad's values; saved is the input for ReLU, the output otherwise) ----

template <typename T>
__device__ __forceinline__ void activation_backward_kernel(const AxonGeometry& g, int kind, T* dst, const T* saved, const T* grad)
{
    AX_GRID_LOOP(i, g.numel)
    {
        int o[3];
        ax_offsets<3>(g, i, o);
        T s = saved[o[1]], gv = grad[o[2]];
        dst[o[0]] = kind == 0 ? (s > T(0) ? gv : T(0)) : kind == 1 ? gv * (T(1) - s * s) : gv * s * (T(1) - s);
    }
}

#define AX_ACTBWD(T, S) \
    extern "C" __global__ void axon_activation_backward_##S(AxonGeometry g, int kind, T* dst, const T* saved, const T* grad) \
    { activation_backward_kernel<T>(g, kind, dst, saved, grad); }
AX_FLOATS(AX_ACTBWD)

// ---- leaky ReLU's backward: g (x > 0 ? (T(1 - slope) + T(slope)) : T(slope)), the composite's factors rounded in T ----

#define AX_LEAKYBWD(T, S) \
    extern "C" __global__ void axon_leaky_relu_backward_##S(AxonGeometry g, T* dst, const T* x, const T* grad, double slope) \
    { \
        T q = (T)slope, p = (T)(1 - slope) + q; \
        AX_GRID_LOOP(i, g.numel) { int o[3]; ax_offsets<3>(g, i, o); dst[o[0]] = grad[o[2]] * (x[o[1]] > T(0) ? p : q); } \
    }
AX_FLOATS(AX_LEAKYBWD)

// ---- axpy (dst += alpha x, alpha rounded to T first, no fused multiply-add) and in-place scaling in double ----

#define AX_AXPY(T, S) \
    extern "C" __global__ void axon_axpy_##S(AxonGeometry g, T* dst, const T* x, double alpha) \
    { \
        T a = (T)alpha; \
        AX_GRID_LOOP(i, g.numel) { int o[2]; ax_offsets<2>(g, i, o); T p = x[o[1]] * a; dst[o[0]] = p + dst[o[0]]; } \
    }
AX_FLOATS(AX_AXPY)

#define AX_SCALE(T, S) \
    extern "C" __global__ void axon_scale_##S(AxonGeometry g, T* x, double factor) \
    { AX_GRID_LOOP(i, g.numel) { int o = ax_offset(g, 0, i); x[o] = ax_from_double<T>((double)x[o] * factor); } }
AX_ALL(AX_SCALE)
