#!/usr/bin/env python3
"""Fits the float tanh of Axon.Kernels (TanhFloatOperator): tanh(x) ~ x * P(x^2) / Q(x^2) on [0, c], minimising
the largest relative error. Linearised least squares (P - g Q, weighted by 1 / (g Q_prev)) at 40 digits, with
Lawson's re-weighting towards the minimax solution. Needs python3-mpmath.

    python3 tools/fit_tanh.py 6 3 9 14     # degree of P, degree of Q (both in x^2), c, iterations
"""
import sys
import mpmath as mp

mp.mp.dps = 40
dp, dq, c = int(sys.argv[1]), int(sys.argv[2]), mp.mpf(sys.argv[3])
iterations = int(sys.argv[4]) if len(sys.argv) > 4 else 12
N = 1500
xs = [c * (1 - mp.cos(mp.pi * (i + 0.5) / N)) / 2 for i in range(N)]  # Chebyshev points on [0, c]
ts = [x * x for x in xs]
gs = [mp.tanh(x) / x for x in xs]  # g(t) = tanh(sqrt t) / sqrt t, so tanh x = x g(x^2)


def solve(w, q_prev):
    rows, rhs = [], []
    for i in range(N):
        s = mp.sqrt(w[i]) / (gs[i] * q_prev[i])
        rows.append([s * ts[i] ** k for k in range(dp + 1)] + [-s * gs[i] * ts[i] ** k for k in range(1, dq + 1)])
        rhs.append(s * gs[i])
    sol = mp.qr_solve(mp.matrix(rows), mp.matrix(rhs))[0]
    return [sol[k] for k in range(dp + 1)], [mp.mpf(1)] + [sol[dp + 1 + k] for k in range(dq)]


def horner(coefficients, t):
    r = mp.mpf(0)
    for a in reversed(coefficients):
        r = r * t + a
    return r


w, q_prev = [mp.mpf(1)] * N, [mp.mpf(1)] * N
for it in range(iterations):
    p, q = solve(w, q_prev)
    errors = []
    for i in range(N):
        q_prev[i] = horner(q, ts[i])
        errors.append(horner(p, ts[i]) / q_prev[i] / gs[i] - 1)
    print(it, "max relative error", mp.nstr(max(abs(e) for e in errors), 5), flush=True)
    total = sum(w[i] * abs(errors[i]) for i in range(N))
    w = [w[i] * abs(errors[i]) / total for i in range(N)]
print("P =", [mp.nstr(a, 20) for a in p])
print("Q =", [mp.nstr(a, 20) for a in q])
