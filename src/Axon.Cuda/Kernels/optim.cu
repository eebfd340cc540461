// The optimisers' element-wise updates over contiguous parameter, gradient and state tensors, one thread per element.
// As ReferenceBackend.Optimizers, every coefficient arrives already rounded to the parameter's type (the runtime
// converts the double coefficients of SgdUpdate, AdamUpdate, ... before launching) and each line of the algorithm is
// evaluated in that type in the same order, so results match the reference to the bit when compiled without fused
// multiply-adds (NVRTC --fmad=false; see KernelSources.CompileOptions). Nullable states are null pointers.
#include "axon_common.cuh"

template <typename T>
__device__ __forceinline__ void sgd(int count, T* p, const T* grad, T* buf, T wd, T mu, T oneMinusDampening, T step, int first, int nesterov)
{
    AX_GRID_LOOP(i, count)
    {
        T g = grad[i];
        if (wd != T(0)) g += wd * p[i];
        if (mu != T(0))
        {
            buf[i] = first ? g : mu * buf[i] + oneMinusDampening * g;
            g = nesterov ? g + mu * buf[i] : buf[i];
        }
        p[i] += step * g;
    }
}

template <typename T>
__device__ __forceinline__ void adam(int count, T* p, const T* grad, T* m, T* v, T* maxSq, T beta1, T beta2, T eps, T l2, T shrink, T stepSize, T bc2Sqrt, int maximize)
{
    AX_GRID_LOOP(i, count)
    {
        T g = maximize ? -grad[i] : grad[i];
        T w = p[i];
        if (l2 != T(0)) g += l2 * w;
        if (shrink != T(1)) w *= shrink;
        m[i] = m[i] * beta1 + (T(1) - beta1) * g;
        v[i] = v[i] * beta2 + (T(1) - beta2) * g * g;
        T vhat = v[i];
        if (maxSq) vhat = maxSq[i] = ax_max(maxSq[i], vhat);
        T denom = ax_sqrt(vhat) / bc2Sqrt + eps;
        p[i] = w + -stepSize * (m[i] / denom);
    }
}

template <typename T>
__device__ __forceinline__ void adagrad(int count, T* p, const T* grad, T* sum, T lr, T wd, T eps, int maximize)
{
    AX_GRID_LOOP(i, count)
    {
        T g = maximize ? -grad[i] : grad[i];
        if (wd != T(0)) g += wd * p[i];
        sum[i] += g * g;
        p[i] += -lr * (g / (ax_sqrt(sum[i]) + eps));
    }
}

template <typename T>
__device__ __forceinline__ void rmsprop(int count, T* p, const T* grad, T* sq, T* buf, T* avg, T lr, T alpha, T eps, T wd, T mu, int maximize)
{
    AX_GRID_LOOP(i, count)
    {
        T g = maximize ? -grad[i] : grad[i];
        if (wd != T(0)) g += wd * p[i];
        sq[i] = sq[i] * alpha + (T(1) - alpha) * g * g;
        T vt = sq[i];
        if (avg)
        {
            avg[i] = avg[i] * alpha + (T(1) - alpha) * g;
            vt -= avg[i] * avg[i];
        }
        T denom = ax_sqrt(vt) + eps;
        if (buf)
        {
            buf[i] = buf[i] * mu + g / denom;
            p[i] += -lr * buf[i];
        }
        else p[i] += -lr * (g / denom);
    }
}

template <typename T>
__device__ __forceinline__ void adadelta(int count, T* p, const T* grad, T* sq, T* acc, T lr, T rho, T eps, T wd, int maximize)
{
    AX_GRID_LOOP(i, count)
    {
        T g = maximize ? -grad[i] : grad[i];
        if (wd != T(0)) g += wd * p[i];
        sq[i] = sq[i] * rho + (T(1) - rho) * g * g;
        T delta = ax_sqrt(acc[i] + eps) / ax_sqrt(sq[i] + eps) * g;
        acc[i] = acc[i] * rho + (T(1) - rho) * delta * delta;
        p[i] += -lr * delta;
    }
}

template <typename T>
__device__ __forceinline__ void asgd(int count, T* p, const T* grad, T* ax, T wd, T shrink, T eta, T mu, int maximize)
{
    AX_GRID_LOOP(i, count)
    {
        T g = maximize ? -grad[i] : grad[i];
        T w = p[i];
        if (wd != T(0)) g += wd * w;
        w *= shrink;
        w += -eta * g;
        p[i] = w;
        ax[i] = mu == T(1) ? w : ax[i] + (w - ax[i]) * mu;
    }
}

// The lecture's averaged SGD; copy (μ == 1, decided on the double) replaces the average by the parameter.
template <typename T>
__device__ __forceinline__ void averaged_sgd(int count, T* p, const T* grad, T* ax, T lr, T wd, T mu, int copy)
{
    AX_GRID_LOOP(i, count)
    {
        T g = grad[i];
        if (wd != T(0)) g += wd * p[i];
        T w = p[i] + -lr * g;
        p[i] = w;
        ax[i] = copy ? w : ax[i] + (w - ax[i]) * mu;
    }
}

#define AX_OPTIM(T, S) \
    extern "C" __global__ void axon_sgd_##S(int count, T* p, const T* grad, T* buffer, T weightDecay, T momentum, T oneMinusDampening, T step, \
        int first, int nesterov) \
    { sgd<T>(count, p, grad, buffer, weightDecay, momentum, oneMinusDampening, step, first, nesterov); } \
    extern "C" __global__ void axon_adam_##S(int count, T* p, const T* grad, T* m, T* v, T* maxSq, T beta1, T beta2, T eps, T l2, T shrink, \
        T stepSize, T bc2Sqrt, int maximize) \
    { adam<T>(count, p, grad, m, v, maxSq, beta1, beta2, eps, l2, shrink, stepSize, bc2Sqrt, maximize); } \
    extern "C" __global__ void axon_adagrad_##S(int count, T* p, const T* grad, T* sum, T lr, T weightDecay, T eps, int maximize) \
    { adagrad<T>(count, p, grad, sum, lr, weightDecay, eps, maximize); } \
    extern "C" __global__ void axon_rmsprop_##S(int count, T* p, const T* grad, T* squareAverage, T* buffer, T* average, T lr, T alpha, T eps, \
        T weightDecay, T momentum, int maximize) \
    { rmsprop<T>(count, p, grad, squareAverage, buffer, average, lr, alpha, eps, weightDecay, momentum, maximize); } \
    extern "C" __global__ void axon_adadelta_##S(int count, T* p, const T* grad, T* squareAverage, T* accumulatedDelta, T lr, T rho, T eps, \
        T weightDecay, int maximize) \
    { adadelta<T>(count, p, grad, squareAverage, accumulatedDelta, lr, rho, eps, weightDecay, maximize); } \
    extern "C" __global__ void axon_asgd_##S(int count, T* p, const T* grad, T* average, T weightDecay, T shrink, T eta, T mu, int maximize) \
    { asgd<T>(count, p, grad, average, weightDecay, shrink, eta, mu, maximize); } \
    extern "C" __global__ void axon_averaged_sgd_##S(int count, T* p, const T* grad, T* average, T lr, T weightDecay, T mu, int copy) \
    { averaged_sgd<T>(count, p, grad, average, lr, weightDecay, mu, copy); }
AX_FLOATS(AX_OPTIM)
