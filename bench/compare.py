#!/usr/bin/python3
"""Axon against PyTorch, interleaved: the driver behind bench/compare.sh (which builds the harness first).

Each workload runs in its own process, Axon then PyTorch, R times (A B A B ...), so drift on this shared machine
hits both alike; each figure is the median of its R runs, and the ratio Axon / PyTorch is taken between the two
medians of this one run. Prints the table and (unless --no-write) rewrites the marked sections of BENCHMARKS.md
and bench/results/compare.jsonl (every raw JSON line).

    bench/compare.sh                 # default: 3 repetitions, 2 threads, about 13 minutes
    bench/compare.sh --tta           # also time-to-90 % test accuracy (one run each, several minutes)
    bench/compare.sh --deep          # also train ResNet-18 and DenseNet-121-small (about 2 more minutes)
    bench/compare.sh --reps 5 --only train
    bench/compare.sh --deep --only resnet18
"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AXON = os.path.join(ROOT, "bench/Axon.Bench.EndToEnd/bin/Release/net10.0/Axon.Bench.EndToEnd")
BASELINE = os.path.join(ROOT, "bench/pytorch/baseline.py")
PYTHON = "/usr/bin/python3"
GLIBC_TUNABLES = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824"
BEGIN, END = "<!-- compare:begin -->", "<!-- compare:end -->"
# The layer-by-layer profiles (one run each, not in the ratio table): spec -> (markers in BENCHMARKS.md).
PROFILES = {"profile": ("<!-- profile:begin -->", "<!-- profile:end -->"),
            "profile-resnet": ("<!-- profile-resnet:begin -->", "<!-- profile-resnet:end -->")}

# Workloads: name -> harness arguments (the same for both implementations).
SPECS = {}
for _m in ("mlp", "lecture-cnn", "lenet5"):
    for _b in (64, 256):
        # At least 200 steps and at least 1 s: 200 MLP steps alone last about 0.05 s, too short a window to time.
        SPECS[f"train-{_m}-{_b}"] = ["train", "--model", _m, "--batch", str(_b), "--warmup", "20", "--steps", "200",
                                     "--min-seconds", "1"]
# The deep CNNs: a step takes 0.1-2 s, so a few steps (the warm-up still lasts at least 1 s) and a window of >= 1 s.
DEEP_TRAIN = (("resnet-small", 64), ("resnet-small", 128), ("vgg-small", 64), ("resnet18", 64), ("densenet121-small", 64))
for _m, _b in DEEP_TRAIN:
    SPECS[f"train-{_m}-{_b}"] = ["train", "--model", _m, "--batch", str(_b), "--warmup", "3", "--steps", "3",
                                 "--min-seconds", "1"]
DEEP_ONLY = {"train-resnet18-64", "train-densenet121-small-64"}  # the slow ones: run with --deep
SPECS["infer-latency"] = ["infer-latency", "--model", "lecture-cnn", "--iters", "2000"]
SPECS["infer-batch"] = ["infer-batch", "--model", "lecture-cnn", "--batch", "256", "--iters", "50"]
SPECS["epoch"] = ["epoch", "--model", "lecture-cnn", "--batch", "64", "--warmup", "20"]
GEMM_SIZES = (64, 128, 256, 512, 1024, 2048)
for _n in GEMM_SIZES:
    SPECS[f"gemm-{_n}"] = ["gemm", "--size", str(_n)]
SPECS["peak"] = ["peak"]  # Axon only
SPECS["profile"] = ["profile", "--model", "lecture-cnn", "--batch", "64", "--steps", "50"]  # once, not in the ratio table
SPECS["profile-resnet"] = ["profile", "--model", "resnet-small", "--batch", "64", "--steps", "10"]  # likewise
SPECS["tta"] = ["time-to-accuracy", "--model", "lecture-cnn", "--batch", "64", "--target", "0.90", "--eval-every", "469",
                "--max-epochs", "10"]
for _c in ("lstm", "gru"):
    for _b in (64, 256):
        SPECS[f"rnn-{_c}-{_b}"] = ["rnn-train", "--cell", _c, "--batch", str(_b), "--hidden", "128", "--steps", "20", "--min-seconds", "1"]
    SPECS[f"rnn-latency-{_c}"] = ["rnn-latency", "--cell", _c, "--hidden", "128", "--iters", "2000"]
SPECS["charlm"] = ["charlm-train", "--batch", "64", "--seq", "100", "--steps", "5", "--min-seconds", "1"]
AXON_ONLY = {"peak"}

NAMES = {"mlp": "MLP 784-256-256-10", "lecture-cnn": "lecture CNN", "lenet5": "LeNet-5",
         "resnet-small": "ResNet-small (basic blocks 2-2-2, widths 32-64-128)", "vgg-small": "small VGG (batch norm, 32-64-128)",
         "resnet18": "ResNet-18 (2-2-2-2, widths 64-512, 3x3 stem)", "densenet121-small": "DenseNet-121-small (growth 12)"}
TRAIN_TARGET = {"mlp": 3.0, "lecture-cnn": 2.0, "lenet5": 2.5,
                "resnet-small": 2.0, "vgg-small": 2.0, "resnet18": 2.0, "densenet121-small": 2.0}


def figures():
    """(label, spec, field, target as (op, value) on the ratio or None, unit)."""
    out = []
    for m in ("mlp", "lecture-cnn", "lenet5"):
        for b in (64, 256):
            out.append((f"training, {NAMES[m]}, batch {b}", f"train-{m}-{b}", "img_per_s", (">=", TRAIN_TARGET[m]), "img/s"))
    for m, b in DEEP_TRAIN:
        out.append((f"training, {NAMES[m]}, batch {b}", f"train-{m}-{b}", "img_per_s", (">=", TRAIN_TARGET[m]), "img/s"))
    out.append(("single-image inference, lecture CNN, median", "infer-latency", "median_us", ("<=", 0.25), "µs"))
    out.append(("single-image inference, lecture CNN, p99", "infer-latency", "p99_us", ("<=", 0.25), "µs"))
    out.append(("batch-256 inference, lecture CNN", "infer-batch", "img_per_s", (">=", 2.0), "img/s"))
    out.append(("one-epoch training (lecture CNN, real data), peak RSS", "epoch", "peak_rss_mib", ("<=", 0.5), "MiB"))
    out.append(("one-epoch training, wall time", "epoch", "seconds", None, "s"))
    for n in GEMM_SIZES:
        out.append((f"SGEMM {n}x{n}x{n} (torch.mm)", f"gemm-{n}", "gflops", (">=", 2.0) if n <= 128 else None, "GFLOP/s"))
    for c in ("lstm", "gru"):
        for b in (64, 256):
            out.append((f"training, {c.upper()} over 28 rows, hidden 128, batch {b}", f"rnn-{c}-{b}", "img_per_s", (">=", 1.5), "img/s"))
        out.append((f"single-sequence inference, {c.upper()} over 28 rows, median", f"rnn-latency-{c}", "median_us", ("<=", 0.5), "µs"))
    out.append(("training, character LM (2-layer LSTM 256, 64 x 100 chars)", "charlm", "img_per_s", (">=", 1.5), "chars/s"))
    out.append(("time to 90 % test accuracy, lecture CNN", "tta", "seconds", ("<=", 0.5), "s"))
    return out


def run(impl, spec, threads):
    args = SPECS[spec] + ["--threads", str(threads)]
    env = dict(os.environ)
    if impl == "axon":
        cmd = [AXON] + args
        env["DOTNET_gcServer"] = "0"
    else:
        cmd = [PYTHON, BASELINE] + args
        env["GLIBC_TUNABLES"] = GLIBC_TUNABLES
        env["OMP_NUM_THREADS"] = str(threads)
        # torch.mm is one BLAS call: OpenBLAS gets the threads. Elsewhere PyTorch's own 2 OpenMP threads run the
        # parallel ops and OpenBLAS runs single-threaded on the caller; with both at 2 the 4 threads fight over 2
        # cores and PyTorch trains 1.5-2x slower (measured), which would flatter Axon.
        env["OPENBLAS_NUM_THREADS"] = str(threads) if spec.startswith("gemm") else "1"
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def met(ratio, target):
    op, value = target
    return ratio >= value if op == ">=" else ratio <= value


def fmt(v):
    if v is None:
        return "—"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def machine():
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    model = re.search(r"Model name:\s*(.+)", lscpu)
    family = re.search(r"CPU family:\s*(.+)", lscpu)
    number = re.search(r"Model:\s*(.+)", lscpu)
    cores = os.cpu_count()
    dotnet = subprocess.run(["dotnet", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    name = model.group(1).strip() if model else platform.processor()
    if family and number:
        name += f" (family {family.group(1).strip()} model {number.group(1).strip()})"
    return f"{name}, {cores} cores; {platform.platform()}; .NET SDK {dotnet}"


def torch_package():
    return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "python3-torch"], capture_output=True, text=True, check=False).stdout.strip()


def load_average():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def profile_table(spec, ax, pt):
    """The markdown of one layer-by-layer profile: Axon's and PyTorch's mean milliseconds per phase."""
    lines = [
        f"Command: part of `bench/compare.sh` (workload `{' '.join(SPECS[spec])}`, one run each, "
        f"same machine and date as the table above). A training step cut at every layer (each layer's input a detached "
        f"leaf), mean milliseconds per step.",
        "",
        "| phase | Axon ms | PyTorch ms | ratio |",
        "|---|---:|---:|---:|",
    ]
    for k in ax["phases_ms"]:
        av, pv = ax["phases_ms"][k], pt["phases_ms"].get(k)
        lines.append(f"| {k} | {av:.3f} | {pv:.3f} | {av / pv:.2f} |" if pv else f"| {k} | {av:.3f} | — | — |")
    lines.append(f"| **whole cut step** | **{ax['step_ms']:.2f}** | **{pt['step_ms']:.2f}** | **{ax['step_ms'] / pt['step_ms']:.2f}** |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3, help="repetitions of each workload per implementation (default 3)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tta", action="store_true", help="also run time-to-accuracy (--tta-reps runs each)")
    ap.add_argument("--tta-reps", type=int, default=1)
    ap.add_argument("--deep", action="store_true", help="also train the slow deep CNNs (" + ", ".join(sorted(DEEP_ONLY)) + ")")
    ap.add_argument("--only", default="", help="run only workloads whose name contains this (no file is rewritten)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md and bench/results alone")
    a = ap.parse_args()

    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = load_average()
    specs = [s for s in SPECS if (s != "tta" or a.tta) and (s not in DEEP_ONLY or a.deep)]
    if a.only:
        specs = [s for s in specs if a.only in s]
        if not specs:
            raise SystemExit(f"no workload matches --only {a.only!r}" + (" (the slow deep CNNs need --deep)" if not a.deep else ""))
    results = {s: {"axon": [], "pytorch": []} for s in specs}
    raw = []
    for spec in specs:
        reps = 1 if spec in PROFILES else a.tta_reps if spec == "tta" else a.reps
        for rep in range(reps):
            for impl in ("axon", "pytorch"):  # A B A B ...
                if impl == "pytorch" and spec in AXON_ONLY:
                    continue
                r = run(impl, spec, a.threads)
                r["spec"], r["rep"], r["loadavg_after"] = spec, rep, load_average()
                raw.append(r)
                results[spec][impl].append(r)
                print(f"  {spec:<22} {impl:<8} rep {rep + 1}/{reps}", file=sys.stderr, flush=True)
    load_after = load_average()

    rows, verdicts = [], []
    for label, spec, field, target, unit in figures():
        if spec not in results:
            continue
        ax = [r[field] for r in results[spec]["axon"]]
        pt = [r[field] for r in results[spec]["pytorch"]]
        if spec == "tta" and not all(r["reached"] for r in results[spec]["axon"] + results[spec]["pytorch"]):
            label += " (not reached by every run: seconds until giving up)"
        am, pm = statistics.median(ax), statistics.median(pt)
        ratio = am / pm
        goal = "—" if target is None else f"{target[0].replace('>=', '≥').replace('<=', '≤')} {target[1]:g}x"
        ok = "—" if target is None else ("yes" if met(ratio, target) else "**no**")
        if target is not None:
            verdicts.append((label, ok))
        rows.append(f"| {label} | {fmt(am)} {unit} | {fmt(pm)} {unit} | {ratio:.2f} | {goal} | {ok} |")
    # Axon-only figures.
    if "epoch" in results:
        g2 = max(r["gc_during"][2] for r in results["epoch"]["axon"])
        g01 = max(r["gc_during"][0] for r in results["epoch"]["axon"])
        ok = "yes" if g2 == 0 else "**no**"
        verdicts.append(("gen-2 GC in a steady-state epoch", ok))
        rows.append(f"| gen-2 GCs during the epoch after step 20 (Axon; max over runs; gen-0: {g01}) | {g2} | — | — | 0 | {ok} |")
    if "peak" in results:
        peak = statistics.median(r["gflops"] for r in results["peak"]["axon"])
        rows.append(f"| FMA peak of {a.threads} cores, float (Axon's probe) | {fmt(peak)} GFLOP/s | — | — | — | — |")
        for n in GEMM_SIZES:
            if n >= 256 and f"gemm-{n}" in results:
                g = statistics.median(r["gflops"] for r in results[f"gemm-{n}"]["axon"])
                ok = "yes" if g >= 0.8 * peak else "**no**"
                verdicts.append((f"SGEMM {n} >= 80 % of peak", ok))
                rows.append(f"| SGEMM {n}, {a.threads} threads, fraction of the FMA peak | {100 * g / peak:.0f} % | — | — | ≥ 80 % | {ok} |")

    pt_any = next((r for rs in results.values() for r in rs["pytorch"]), None)
    torch_info = f"PyTorch {pt_any['torch']} (Debian python3-torch {torch_package()}), BLAS {', '.join(b for b in pt_any['blas'] if 'libopenblas' in b or 'libblas' in b)}" if pt_any else ""
    header = [
        f"Command: `bench/compare.sh{' --tta' if a.tta else ''}{' --deep' if a.deep else ''}{f' --reps {a.reps}' if a.reps != 3 else ''}` "
        f"({a.reps} interleaved runs per workload, Axon then PyTorch, {a.tta_reps if a.tta else 0} for time-to-accuracy; "
        f"medians; ratio = Axon / PyTorch; {a.threads} threads each).",
        f"Machine: {machine()}. Shared with other work during the run (load average {load_before} before, {load_after} after).",
        f"Date: {started:%Y-%m-%d %H:%M} UTC. Baseline: {torch_info}; `GLIBC_TUNABLES={GLIBC_TUNABLES}`, "
        f"`OMP_NUM_THREADS={a.threads}`, `OPENBLAS_NUM_THREADS=1` (`{a.threads}` for the SGEMM rows).",
        "",
        "| figure | Axon | PyTorch | ratio | target | met? |",
        "|---|---:|---:|---:|---|---|",
    ] + rows
    table = "\n".join(header)
    print(table)

    profiles = {}
    for spec in PROFILES:
        if spec in results and results[spec]["axon"] and results[spec]["pytorch"]:
            profiles[spec] = profile_table(spec, results[spec]["axon"][0], results[spec]["pytorch"][0])
            print()
            print(profiles[spec])

    if not a.no_write and not a.only:
        os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
        with open(os.path.join(ROOT, "bench/results/compare.jsonl"), "w") as f:
            for r in raw:
                f.write(json.dumps(r) + "\n")
        path = os.path.join(ROOT, "BENCHMARKS.md")
        text = open(path).read()
        for begin, end, body in [(BEGIN, END, table)] + [(*PROFILES[k], v) for k, v in profiles.items()]:
            if begin not in text or end not in text:
                raise SystemExit(f"BENCHMARKS.md has no {begin} ... {end} section to rewrite")
            text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: f"{begin}\n{body}\n{end}", text, flags=re.S)
        open(path, "w").write(text)
        print(f"\nrewrote BENCHMARKS.md and bench/results/compare.jsonl", file=sys.stderr)


if __name__ == "__main__":
    main()
