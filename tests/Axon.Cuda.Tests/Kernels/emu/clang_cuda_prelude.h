// Prelude for checking the kernel sources as CUDA device code with clang (-x cuda --cuda-device-only -nocudainc
// -nocudalib), where no CUDA header or libdevice exists: the attributes, the built-in variables, and the CUDA math
// functions the sources use declared over libdevice's __nv_* names (left unresolved: the check stops at PTX).
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __host__ __attribute__((host))
#define __shared__ __attribute__((shared))
#define __forceinline__ __inline__ __attribute__((always_inline))
#include <__clang_cuda_builtin_vars.h>
#define AX_MATH1(name, nv, T) extern "C" __device__ T nv(T); static __device__ __forceinline__ T name(T x) { return nv(x); }
#define AX_MATH2(name, nv, T) extern "C" __device__ T nv(T, T); static __device__ __forceinline__ T name(T x, T y) { return nv(x, y); }
AX_MATH1(expf, __nv_expf, float) AX_MATH1(exp, __nv_exp, double)
AX_MATH1(logf, __nv_logf, float) AX_MATH1(log, __nv_log, double)
AX_MATH1(sqrtf, __nv_sqrtf, float) AX_MATH1(sqrt, __nv_sqrt, double)
AX_MATH1(tanhf, __nv_tanhf, float) AX_MATH1(tanh, __nv_tanh, double)
AX_MATH1(fabsf, __nv_fabsf, float) AX_MATH1(fabs, __nv_fabs, double)
AX_MATH2(powf, __nv_powf, float) AX_MATH2(pow, __nv_pow, double)
static __device__ __forceinline__ int __float_as_int(float x) { return __builtin_bit_cast(int, x); }
static __device__ __forceinline__ float __int_as_float(int x) { return __builtin_bit_cast(float, x); }
static __device__ __forceinline__ long long __double_as_longlong(double x) { return __builtin_bit_cast(long long, x); }
static __device__ __forceinline__ double __longlong_as_double(long long x) { return __builtin_bit_cast(double, x); }
