#!/usr/bin/python3
"""Records PyTorch's learning-rate (and momentum) sequences for Axon's scheduler tests.

Run once with Debian's python3-torch (PyTorch 1.13):  /usr/bin/python3 tests/Fixtures/make_schedule_fixtures.py
It writes tests/Fixtures/lr_schedules.json, which is committed; the tests need no Python.

Each case: "kind" (the Axon class), "config" (constructor arguments), "lrs" (group learning rates [optimizer-param-group]),
and "groups" (initial lrs of the parameter groups). "lr[t]" is the rate of each group after construction (t = 0) and
after the t-th scheduler step (t = 1..steps), i.e. the rate used in epoch t. OneCycle cases also record "momentum"
(SGD's momentum, or Adam's betas[0]). ReduceLROnPlateau cases record the "metrics" fed to step(). Warm-restart cases with
"epochs" call step(epoch) with those (fractional) epochs instead of step().
"""
import json
import os
import warnings

import torch
from torch.optim import SGD, Adam
from torch.optim import lr_scheduler as S

warnings.filterwarnings("ignore")  # "step() before optimizer.step()" and the step(epoch) deprecation are expected here
STEPS = 30


def make_opt(groups, optimizer="sgd", momentum=0.0):
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in groups]
    if optimizer == "adam":
        return Adam(params, lr=groups[0], betas=(0.9, 0.999))
    return SGD(params, lr=groups[0], momentum=momentum)


def build(opt, kind, c):
    if kind == "StepLR":
        return S.StepLR(opt, step_size=c["stepSize"], gamma=c["gamma"])
    if kind == "MultiStepLR":
        return S.MultiStepLR(opt, milestones=c["milestones"], gamma=c["gamma"])
    if kind == "ExponentialLR":
        return S.ExponentialLR(opt, gamma=c["gamma"])
    if kind == "CosineAnnealingLR":
        return S.CosineAnnealingLR(opt, T_max=c["tMax"], eta_min=c["etaMin"])
    if kind == "CosineAnnealingWarmRestarts":
        return S.CosineAnnealingWarmRestarts(opt, T_0=c["t0"], T_mult=c["tMult"], eta_min=c["etaMin"])
    if kind == "LinearLR":
        return S.LinearLR(opt, start_factor=c["startFactor"], end_factor=c["endFactor"], total_iters=c["totalIters"])
    if kind == "OneCycleLR":
        return S.OneCycleLR(opt, max_lr=c["maxLr"], total_steps=c["totalSteps"], pct_start=c["pctStart"],
                            anneal_strategy=c["anneal"], cycle_momentum=c["cycleMomentum"],
                            base_momentum=c["baseMomentum"], max_momentum=c["maxMomentum"],
                            div_factor=c["divFactor"], final_div_factor=c["finalDivFactor"], three_phase=c["threePhase"])
    if kind == "ReduceLROnPlateau":
        return S.ReduceLROnPlateau(opt, mode=c["mode"], factor=c["factor"], patience=c["patience"],
                                   threshold=c["threshold"], threshold_mode=c["thresholdMode"],
                                   cooldown=c["cooldown"], min_lr=c["minLr"], eps=c["eps"])
    if kind == "SequentialLR":
        children = [build(opt, k, cc) for k, cc in c["schedulers"]]
        return S.SequentialLR(opt, children, milestones=c["milestones"])
    if kind == "ChainedScheduler":
        return S.ChainedScheduler([build(opt, k, cc) for k, cc in c["schedulers"]])
    raise ValueError(kind)


def momentum_of(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def record(kind, config, groups=(0.1,), optimizer="sgd", metrics=None, epochs=None, steps=STEPS):
    opt = make_opt(list(groups), optimizer)
    sched = build(opt, kind, config)
    lrs = [[g["lr"] for g in opt.param_groups]]
    moms = [momentum_of(opt)]
    n = len(metrics) if metrics is not None else len(epochs) if epochs is not None else steps
    for t in range(n):
        opt.step()
        if metrics is not None:
            sched.step(metrics[t])
        elif epochs is not None:
            sched.step(epochs[t])
        else:
            sched.step()
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append(momentum_of(opt))
    case = {"kind": kind, "config": config, "groups": list(groups), "optimizer": optimizer, "lrs": lrs}
    if kind == "OneCycleLR" and config["cycleMomentum"]:
        case["momentum"] = moms
    if metrics is not None:
        case["metrics"] = metrics
    if epochs is not None:
        case["epochs"] = epochs
    return case


def onecycle(**kw):
    c = {"maxLr": 1.0, "totalSteps": STEPS, "pctStart": 0.3, "anneal": "cos", "cycleMomentum": True,
         "baseMomentum": 0.85, "maxMomentum": 0.95, "divFactor": 25.0, "finalDivFactor": 1e4, "threePhase": False}
    c.update(kw)
    return c


def plateau(**kw):
    c = {"mode": "min", "factor": 0.1, "patience": 10, "threshold": 1e-4, "thresholdMode": "rel", "cooldown": 0,
         "minLr": 0.0, "eps": 1e-8}
    c.update(kw)
    return c


loss = [1.0, 0.8, 0.7, 0.69, 0.695, 0.7, 0.65, 0.66, 0.66, 0.66, 0.66, 0.64, 0.6, 0.6, 0.61, 0.62, 0.63, 0.5,
        0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.49, 0.49, 0.49, 0.49, 0.49, 0.49]
accuracy = [0.5, 0.6, 0.62, 0.7, 0.71, 0.72, 0.8, 0.8, 0.79, 0.85, 0.86, 0.86, 0.9, 0.9, 0.9, 0.91, 0.92, 0.93,
            0.93, 0.93, 0.93, 0.93, 0.93, 0.93, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99]
cases = {
    "step": record("StepLR", {"stepSize": 3, "gamma": 0.5}),
    "step_two_groups": record("StepLR", {"stepSize": 4, "gamma": 0.1}, groups=(0.1, 0.03)),
    "multistep": record("MultiStepLR", {"milestones": [5, 12, 12, 20], "gamma": 0.3}),
    "exponential": record("ExponentialLR", {"gamma": 0.9}),
    "cosine": record("CosineAnnealingLR", {"tMax": 10, "etaMin": 0.001}),
    "cosine_two_groups": record("CosineAnnealingLR", {"tMax": 7, "etaMin": 0.0}, groups=(0.1, 0.02)),
    "warm_restarts_mult1": record("CosineAnnealingWarmRestarts", {"t0": 4, "tMult": 1, "etaMin": 0.0}),
    "warm_restarts_mult2": record("CosineAnnealingWarmRestarts", {"t0": 3, "tMult": 2, "etaMin": 0.0005}),
    "warm_restarts_fractional": record("CosineAnnealingWarmRestarts", {"t0": 2, "tMult": 2, "etaMin": 0.001},
                                       epochs=[e / 4 for e in range(1, 41)]),
    "linear_warmup": record("LinearLR", {"startFactor": 0.25, "endFactor": 1.0, "totalIters": 8}),
    "linear_decay": record("LinearLR", {"startFactor": 1.0, "endFactor": 0.1, "totalIters": 10}),
    "warmup_then_cosine": record("SequentialLR", {
        "schedulers": [["LinearLR", {"startFactor": 0.1, "endFactor": 1.0, "totalIters": 5}],
                       ["CosineAnnealingLR", {"tMax": 25, "etaMin": 1e-4}]],
        "milestones": [5]}),
    "sequential_three": record("SequentialLR", {
        "schedulers": [["LinearLR", {"startFactor": 0.5, "endFactor": 1.0, "totalIters": 3}],
                       ["StepLR", {"stepSize": 2, "gamma": 0.5}],
                       ["CosineAnnealingWarmRestarts", {"t0": 4, "tMult": 2, "etaMin": 0.0}]],
        "milestones": [4, 11]}),
    "chained_warmup_exponential": record("ChainedScheduler", {
        "schedulers": [["LinearLR", {"startFactor": 0.5, "endFactor": 1.0, "totalIters": 4}],
                       ["ExponentialLR", {"gamma": 0.95}]]}),
    "onecycle_cos": record("OneCycleLR", onecycle()),
    "onecycle_linear_three_phase": record("OneCycleLR", onecycle(anneal="linear", threePhase=True, pctStart=0.25,
                                                                 divFactor=10.0, finalDivFactor=100.0,
                                                                 baseMomentum=0.8, maxMomentum=0.9, totalSteps=40),
                                          steps=40),
    "onecycle_two_groups": record("OneCycleLR", onecycle(maxLr=[1.0, 0.5], totalSteps=20), groups=(0.1, 0.1), steps=20),
    "onecycle_no_momentum": record("OneCycleLR", onecycle(cycleMomentum=False, pctStart=0.5, totalSteps=12), steps=12),
    "onecycle_adam_beta1": record("OneCycleLR", onecycle(totalSteps=15), optimizer="adam", steps=15),
    "plateau_min_rel": record("ReduceLROnPlateau", plateau(patience=2, factor=0.5, cooldown=1, minLr=0.01, threshold=0.01),
                              metrics=loss),
    "plateau_max_abs": record("ReduceLROnPlateau", plateau(mode="max", patience=1, factor=0.3, threshold=0.05,
                                                           thresholdMode="abs", minLr=0.001),
                              metrics=accuracy),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lr_schedules.json")
with open(out, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, indent=None, separators=(",", ":"))
    f.write("\n")
print(f"wrote {out} ({os.path.getsize(out)} bytes, {len(cases)} cases)")
