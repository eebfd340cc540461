// A CPU emulation of the CUDA execution model, enough to run Axon's kernel sources unchanged under g++: every block
// runs its threads as fibers (ucontext stacks, _setjmp/_longjmp switches) on the calling OS thread, __syncthreads()
// switches back to the block's scheduler,
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
#include <setjmp.h>

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

// A fiber is started once per launch with makecontext and then switched with _setjmp/_longjmp, which save no signal
// mask (swapcontext makes two system calls per switch, far too slow for blocks of 256 threads). After finishing the
// kernel for one block a fiber parks and, resumed, runs it again for the next block.
struct Fiber
{
    ucontext_t start;
    jmp_buf env;
    bool done, started;
    std::vector<char> stack;
};

inline thread_local ucontext_t scheduler_start;
inline thread_local jmp_buf scheduler;
inline thread_local Fiber* current;
inline thread_local const std::function<void()>* body;
inline thread_local long long barriers;   // __syncthreads() calls of the running launch (tests assert reductions use them)

// Saves the fiber and returns to the scheduler; returns when the scheduler resumes the fiber.
inline void yield()
{
    if (!_setjmp(current->env)) _longjmp(scheduler, 1);
}

inline void fiber_entry()
{
    for (;;)
    {
        (*body)();
        current->done = true;
        yield();
    }
}

inline void syncthreads()
{
    barriers++;
    yield();
}

// Runs body for every thread of every block: blocks in order, threads of a block interleaved at barriers (each
// round resumes every unfinished thread once, so all reach barrier k before any passes it).
inline void launch(dim3 grid, dim3 block, const std::function<void()>& f)
{
    static thread_local std::vector<Fiber> pool;
    unsigned threads = block.x * block.y * block.z;
    if (pool.size() < threads) pool.resize(threads);
    body = &f;
    barriers = 0;
    grid_dim = grid;
    block_dim = block;
    for (unsigned t = 0; t < threads; t++)
    {
        Fiber& fb = pool[t];
        if (fb.stack.empty()) fb.stack.resize(64 * 1024);
        fb.started = false;
    }
    for (unsigned bz = 0; bz < grid.z; bz++)
        for (unsigned by = 0; by < grid.y; by++)
            for (unsigned bx = 0; bx < grid.x; bx++)
            {
                block_idx = {bx, by, bz};
                for (unsigned t = 0; t < threads; t++) pool[t].done = false;
                for (bool running = true; running;)
                {
                    running = false;
                    for (unsigned t = 0; t < threads; t++)
                    {
                        Fiber& fb = pool[t];
                        if (fb.done) continue;
                        running = true;
                        current = &fb;
                        thread_idx = {t % block.x, t / block.x % block.y, t / (block.x * block.y)};
                        if (_setjmp(scheduler)) continue;   // the fiber yielded back here
                        if (fb.started) _longjmp(fb.env, 1);
                        fb.started = true;
                        getcontext(&fb.start);
                        fb.start.uc_stack.ss_sp = fb.stack.data();
                        fb.start.uc_stack.ss_size = fb.stack.size();
                        fb.start.uc_link = nullptr;
                        makecontext(&fb.start, fiber_entry, 0);
                        swapcontext(&scheduler_start, &fb.start);
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
