// The element-wise half of one recurrent time step (contiguous [B, G H] gates, [B, H] states), one thread per state
// element; rows b >= active belong to ended sequences: the forward copies their state through, the backward gives
// them zero gate gradients and leaves their state gradients alone. Mirrors ReferenceBackend.Recurrent.
#include "axon_common.cuh"

template <typename T>
__device__ __forceinline__ void lstm_cell(int batch, int n, int active, T* gates, const T* hPrev, const T* cPrev, T* hNext, T* cNext)
{
    AX_GRID_LOOP(s, (i64)batch * n)
    {
        int b = (int)(s / n), j = (int)(s % n);
        if (b >= active) { hNext[s] = hPrev[s]; cNext[s] = cPrev[s]; continue; }
        i64 k = (i64)b * 4 * n + j;
        T i = ax_sigmoid(gates[k]), f = ax_sigmoid(gates[k + n]), cell = ax_tanh(gates[k + 2 * n]), o = ax_sigmoid(gates[k + 3 * n]);
        gates[k] = i; gates[k + n] = f; gates[k + 2 * n] = cell; gates[k + 3 * n] = o;
        T c = f * cPrev[s] + i * cell;
        cNext[s] = c;
        hNext[s] = o * ax_tanh(c);
    }
}

template <typename T>
__device__ __forceinline__ void lstm_backward(int batch, int n, int active, const T* gates, const T* cPrev, const T* cNext, const T* dh, T* dc, T* dGates)
{
    AX_GRID_LOOP(s, (i64)batch * n)
    {
        int b = (int)(s / n), j = (int)(s % n);
        i64 k = (i64)b * 4 * n + j;
        if (b >= active) { dGates[k] = dGates[k + n] = dGates[k + 2 * n] = dGates[k + 3 * n] = T(0); continue; }
        T i = gates[k], f = gates[k + n], cell = gates[k + 2 * n], o = gates[k + 3 * n], tc = ax_tanh(cNext[s]);
        T dcTotal = dc[s] + dh[s] * o * (T(1) - tc * tc);
        dGates[k] = dcTotal * cell * i * (T(1) - i);
        dGates[k + n] = dcTotal * cPrev[s] * f * (T(1) - f);
        dGates[k + 2 * n] = dcTotal * i * (T(1) - cell * cell);
        dGates[k + 3 * n] = dh[s] * tc * o * (T(1) - o);
        dc[s] = dcTotal * f;
    }
}

template <typename T>
__device__ __forceinline__ void gru_cell(int batch, int n, int active, T* gx, const T* gh, const T* hPrev, T* hNext)
{
    AX_GRID_LOOP(s, (i64)batch * n)
    {
        int b = (int)(s / n), j = (int)(s % n);
        if (b >= active) { hNext[s] = hPrev[s]; continue; }
        i64 k = (i64)b * 3 * n + j;
        T r = ax_sigmoid(gx[k] + gh[k]), z = ax_sigmoid(gx[k + n] + gh[k + n]);
        T cand = ax_tanh(gx[k + 2 * n] + r * gh[k + 2 * n]);
        gx[k] = r; gx[k + n] = z; gx[k + 2 * n] = cand;
        hNext[s] = (T(1) - z) * cand + z * hPrev[s];
    }
}

template <typename T>
__device__ __forceinline__ void gru_backward(int batch, int n, int active, const T* gates, const T* gh, const T* hPrev, T* dh, T* dgx, T* dgh)
{
    AX_GRID_LOOP(s, (i64)batch * n)
    {
        int b = (int)(s / n), j = (int)(s % n);
        i64 k = (i64)b * 3 * n + j;
        if (b >= active)
        {
            dgx[k] = dgx[k + n] = dgx[k + 2 * n] = T(0);
            dgh[k] = dgh[k + n] = dgh[k + 2 * n] = T(0);
            continue;
        }
        T r = gates[k], z = gates[k + n], cand = gates[k + 2 * n], d = dh[s];
        T dCandPre = d * (T(1) - z) * (T(1) - cand * cand);
        T dRPre = dCandPre * gh[k + 2 * n] * r * (T(1) - r);
        T dZPre = d * (hPrev[s] - cand) * z * (T(1) - z);
        dgx[k] = dRPre; dgx[k + n] = dZPre; dgx[k + 2 * n] = dCandPre;
        dgh[k] = dRPre; dgh[k + n] = dZPre; dgh[k + 2 * n] = dCandPre * r;
        dh[s] = d * z;
    }
}

// Elman: h' = tanh(pre) or relu(pre) (NaN stays NaN; IEEE max, so -0 gives +0); backward dPre = dh σ'(pre) from h'.
template <typename T>
__device__ __forceinline__ void rnn_cell(int relu, int count, int activeCount, const T* pre, const T* hPrev, T* hNext)
{
    AX_GRID_LOOP(s, count)
    {
        T p = pre[s];
        hNext[s] = s >= activeCount ? hPrev[s] : relu ? (ax_isnan(p) ? p : ax_max(p, T(0))) : ax_tanh(p);
    }
}

template <typename T>
__device__ __forceinline__ void rnn_backward(int relu, int count, int activeCount, const T* hNext, const T* dh, T* dPre)
{
    AX_GRID_LOOP(s, count)
        dPre[s] = s >= activeCount ? T(0) : relu ? (hNext[s] > T(0) ? dh[s] : T(0)) : dh[s] * (T(1) - hNext[s] * hNext[s]);
}

#define AX_RNN(T, S) \
    extern "C" __global__ void axon_lstm_cell_##S(int batch, int n, int active, T* gates, const T* hPrev, const T* cPrev, T* hNext, T* cNext) \
    { lstm_cell<T>(batch, n, active, gates, hPrev, cPrev, hNext, cNext); } \
    extern "C" __global__ void axon_lstm_cell_backward_##S(int batch, int n, int active, const T* gates, const T* cPrev, const T* cNext, \
        const T* dh, T* dc, T* dGates) \
    { lstm_backward<T>(batch, n, active, gates, cPrev, cNext, dh, dc, dGates); } \
    extern "C" __global__ void axon_gru_cell_##S(int batch, int n, int active, T* gx, const T* gh, const T* hPrev, T* hNext) \
    { gru_cell<T>(batch, n, active, gx, gh, hPrev, hNext); } \
    extern "C" __global__ void axon_gru_cell_backward_##S(int batch, int n, int active, const T* gates, const T* gh, const T* hPrev, \
        T* dh, T* dgx, T* dgh) \
    { gru_backward<T>(batch, n, active, gates, gh, hPrev, dh, dgx, dgh); } \
    extern "C" __global__ void axon_rnn_cell_##S(int relu, int count, int activeCount, const T* pre, const T* hPrev, T* hNext) \
    { rnn_cell<T>(relu, count, activeCount, pre, hPrev, hNext); } \
    extern "C" __global__ void axon_rnn_cell_backward_##S(int relu, int count, int activeCount, const T* hNext, const T* dh, T* dPre) \
    { rnn_backward<T>(relu, count, activeCount, hNext, dh, dPre); }
AX_FLOATS(AX_RNN)
