// A CPU emulation of the CUDA execution model, enough to run Axon's kernel sources unchanged under g++: every block
// runs its threads as ucontext fibers on the calling OS thread, __syncthreads() switches back to the block's scheduler,
// which resumes each fiber in turn, so all threads of a block pass a barrier before any goes on (a true barrier).
// __shared__ variables are static thread_local, i.e. one copy per block (blocks run one after another). Math
// functions map to <cmath>. Not thread-safe across launches on the same OS thread, safe across OS threads.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <cstdlib>
#include <cstdio>
#include <functional>
#include <type_traits>
#include <vector>
#include <ucontext.h>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static thread_local
#define __launch_bounds__(...)
#define __restrict__

struct uint3 { unsigned x, y, z; };
struct dim3
{
    unsigned x, y, z;
    dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

namespace emu
{
inline thread_local uint3 thread_idx, block_idx;
inline thread_local dim3 block_dim, grid_dim;

struct Fiber
{
    ucontext_t ctx;
    bool done;
    std::vector<char> stack;
};

inline thread_local ucontext_t scheduler;
inline thread_local Fiber* current;
inline thread_local const std::function<void()>* body;
inline thread_local std::vector<Fiber>* fibers;
inline thread_local long long barriers;   // __syncthreads() calls of the running launch (tests assert reductions use them)

inline void fiber_entry()
{
    (*body)();
    current->done = true;   // returning resumes the scheduler through uc_link
}

inline void syncthreads()
{
    barriers++;
    swapcontext(&current->ctx, &scheduler);
}

// Runs body for every thread of every block: blocks in order, threads of a block interleaved at barriers.
inline void launch(dim3 grid, dim3 block, const std::function<void()>& f)
{
    static thread_local std::vector<Fiber> pool;
    unsigned threads = block.x * block.y * block.z;
    if (pool.size() < threads) pool.resize(threads);
    for (auto& fb : pool) if (fb.stack.empty()) fb.stack.resize(64 * 1024);
    body = &f;
    barriers = 0;
    fibers = &pool;
    grid_dim = grid;
    block_dim = block;
    for (unsigned bz = 0; bz < grid.z; bz++)
        for (unsigned by = 0; by < grid.y; by++)
            for (unsigned bx = 0; bx < grid.x; bx++)
            {
                block_idx = {bx, by, bz};
                for (unsigned t = 0; t < threads; t++)
                {
                    Fiber& fb = pool[t];
                    getcontext(&fb.ctx);
                    fb.ctx.uc_stack.ss_sp = fb.stack.data();
                    fb.ctx.uc_stack.ss_size = fb.stack.size();
                    fb.ctx.uc_link = &scheduler;
                    fb.done = false;
                    makecontext(&fb.ctx, fiber_entry, 0);
                }
                for (bool running = true; running;)
                {
                    running = false;
                    for (unsigned t = 0; t < threads; t++)
                    {
                        Fiber& fb = pool[t];
                        if (fb.done) continue;
                        current = &fb;
                        thread_idx = {t % block.x, t / block.x % block.y, t / (block.x * block.y)};
                        swapcontext(&scheduler, &fb.ctx);
                        running = true;
                    }
                }
            }
}
} // namespace emu

#define threadIdx (emu::thread_idx)
#define blockIdx (emu::block_idx)
#define blockDim (emu::block_dim)
#define gridDim (emu::grid_dim)
#define __syncthreads() emu::syncthreads()

inline int __float_as_int(float x) { int r; std::memcpy(&r, &x, 4); return r; }
inline float __int_as_float(int x) { float r; std::memcpy(&r, &x, 4); return r; }
inline long long __double_as_longlong(double x) { long long r; std::memcpy(&r, &x, 8); return r; }
inline double __longlong_as_double(long long x) { double r; std::memcpy(&r, &x, 8); return r; }

// expf, logf, exp, log ... come from <cmath>/<math.h> in the global namespace, as NVRTC provides them built in.
