#!/usr/bin/python3
"""Gathers the runs of bench/generative/compare.sh (which trains both tools first) into bench/results/generative.json
and prints one markdown table per model: each test metric for Axon and PyTorch, the judge's figures for the sampling
models (Fréchet distance in the feature space of Axon's own classifier, with its floor and ceiling; InfoGAN's
best-matching accuracy), and the seconds per epoch (the mean over the epochs after the first, and the first) with the
ratio PyTorch / Axon. Issue 15's targets: Axon's numbers as good, and PyTorch / Axon ≥ 2 for the time per epoch.

Reads RUNS/axon-MODEL/ and RUNS/torch-MODEL/: summary.json ({"tool", "model", "epochs", "images_per_epoch",
"seconds_per_epoch", "metrics", ...}) and, when present, judge.json (`axon judge --json`). Later rounds
(compare.sh --rounds R) are RUNS/TOOL-MODEL.rK/summary.json; a tool's time per epoch is then that of its fastest round.

    /usr/bin/python3 bench/generative/compare.py --models vae,dcgan --no-write
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

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESULTS = os.path.join(ROOT, "bench/results/generative.json")
TOOLS = (("axon", "Axon"), ("torch", "PyTorch"))
JUDGE_KEYS = ("fid", "fid_floor", "fid_ceiling", "matching_accuracy")
# Which way is better, for the table's arrows: lower for losses, errors and distances, higher for accuracies.
HIGHER_IS_BETTER = re.compile(r"accuracy|fewshot")
# The judge's reference points, the same for both tools: real training images, and uniform noise.
REFERENCES = {"fid_floor": "real images", "fid_ceiling": "noise"}
ENVIRONMENT = {"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "1",
               "GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824"}


def load_json(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def gather(runs, model, tool):
    """A tool's run of a model: its summary with the judge's figures merged into the metrics; None when it did not run."""
    directory = os.path.join(runs, f"{tool}-{model}")
    summary = load_json(os.path.join(directory, "summary.json"))
    if summary is None:
        print(f"compare.py: no {directory}/summary.json; its column stays empty", file=sys.stderr)
        return None
    if summary.get("model") not in (None, model):
        sys.exit(f"compare.py: {directory}/summary.json is for model {summary.get('model')!r}, expected {model!r}")
    secs = summary.get("seconds_per_epoch") or []
    if not secs:
        sys.exit(f"compare.py: {directory}/summary.json has no seconds_per_epoch")
    metrics = dict(summary.get("metrics") or {})
    judge = load_json(os.path.join(directory, "judge.json"))
    if judge is not None:
        metrics.update({k: judge[k] for k in JUDGE_KEYS if k in judge})
    # Epochs after the first leave out the warm-up (JIT, allocator, OpenBLAS buffers); one epoch gives only the first.
    rounds = [steady(secs)]
    k = 2
    while (later := load_json(f"{directory}.r{k}/summary.json")) is not None:
        rounds.append(steady(later.get("seconds_per_epoch") or []))
        k += 1
    return {
        "summary": summary, "judge": judge, "metrics": metrics,
        "first_epoch_s": secs[0],
        # The host's speed drifts; a tool's fastest round is the one the host disturbed least.
        "steady_epoch_s": min(rounds),
        "rounds_steady_epoch_s": rounds,
    }


def steady(secs):
    if not secs:
        sys.exit("compare.py: a summary.json has no seconds_per_epoch")
    return statistics.mean(secs[1:]) if len(secs) > 1 else secs[0]


def machine():
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    m = re.search(r"Model name:\s*(.+)", lscpu)
    info = {"cpu": m.group(1).strip() if m else platform.processor(), "cores": os.cpu_count()}
    try:
        import torch  # noqa: PLC0415  (the version only; the runs themselves were separate processes)
        info["torch"] = torch.__version__
    except ImportError:
        pass
    return info


def fmt(v):
    if v is None:
        return "—"
    if isinstance(v, float):
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) >= 100:
            return f"{v:.1f}"
        if abs(v) >= 1:
            return f"{v:.2f}"
        return f"{v:.4f}"
    return str(v)


def table(model, row):
    a, t = row["axon"], row["torch"]
    names = []
    for side in (a, t):
        for k in (side or {}).get("metrics", {}):
            if k not in names:
                names.append(k)
    epochs = sorted({str(s["summary"].get("epochs", "?")) for s in (a, t) if s})
    head = f"{epochs[0]} epoch{'' if epochs[0] == '1' else 's'}" if len(epochs) == 1 else f"epochs differ: {' vs '.join(epochs)}"
    lines = [f"### {model} ({head})", "", "| metric | Axon | PyTorch | PyTorch / Axon |", "|---|---|---|---|"]
    for k in names:
        hint = REFERENCES.get(k) or ("↑" if HIGHER_IS_BETTER.search(k) else "↓")
        lines.append(f"| {k} ({hint}) | {fmt((a or {}).get('metrics', {}).get(k))} | {fmt((t or {}).get('metrics', {}).get(k))} | |")
    rounds = max(len((side or {}).get("rounds_steady_epoch_s", [])) for side in (a, t))
    steady_label = "seconds per epoch (mean after the first" + (f", fastest of {rounds} rounds)" if rounds > 1 else ")")
    for key, label in (("steady_epoch_s", steady_label), ("first_epoch_s", "seconds, first epoch")):
        av, tv = (a or {}).get(key), (t or {}).get(key)
        ratio = f"{tv / av:.2f}x" if av and tv else "—"
        lines.append(f"| {label} | {fmt(av)} | {fmt(tv)} | {ratio} |")
    if rounds > 1 and a and t:
        ar, tr = a["rounds_steady_epoch_s"], t["rounds_steady_epoch_s"]
        lines.append(f"| each round's seconds per epoch | {', '.join(fmt(v) for v in ar)} | {', '.join(fmt(v) for v in tr)} | "
                     f"{', '.join(f'{y / x:.2f}x' for x, y in zip(ar, tr))} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="vae,autoencoder,denoising-ae,gan,dcgan,infogan,siamese")
    ap.add_argument("--runs", default=os.path.join(ROOT, "runs/compare"), help="the folder compare.sh trained into")
    ap.add_argument("--epochs-scale", type=float, default=1.0, help="recorded: the scale compare.sh applied to the epochs")
    ap.add_argument("--limit", type=int, default=0, help="recorded: the training images each run used (0: all)")
    ap.add_argument("--out", default=RESULTS)
    ap.add_argument("--no-write", action="store_true", help="print only; do not write the results file")
    args = ap.parse_args()

    rows = {}
    for model in args.models.split(","):
        row = {tool: gather(args.runs, model, tool) for tool, _ in TOOLS}
        if row["axon"] is None and row["torch"] is None:
            print(f"compare.py: nothing ran for {model}; skipped", file=sys.stderr)
            continue
        a, t = row["axon"], row["torch"]
        row["ratio_torch_over_axon"] = t["steady_epoch_s"] / a["steady_epoch_s"] if a and t else None
        rows[model] = row

    commands_file = os.path.join(args.runs, "commands.txt")
    commands = open(commands_file).read().splitlines() if os.path.exists(commands_file) else []
    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(), "epochs_scale": args.epochs_scale, "limit": args.limit, "threads": 2,
        "pytorch_environment": ENVIRONMENT, "commands": commands,
        "models": {m: {"axon": r["axon"], "pytorch": r["torch"], "ratio_torch_over_axon": r["ratio_torch_over_axon"]}
                   for m, r in rows.items()},
    }
    m = info["machine"]
    print(f"Axon vs PyTorch {m.get('torch', '?')} (OpenBLAS), 2 threads each, one after the other; {m['cpu']}, {info['date']}."
          + (f" Epochs scaled by {args.epochs_scale}." if args.epochs_scale != 1 else "")
          + (f" First {args.limit} training images only." if args.limit else ""))
    print("FID here is the Fréchet distance in the feature space of Axon's own Fashion-MNIST classifier (runs/judge), "
          "not Inception's: not comparable with published FIDs.\n")
    for model, row in rows.items():
        print(table(model, row) + "\n")
    if not args.no_write:
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        merge_earlier(info, args.out)
        with open(args.out, "w") as f:
            json.dump(info, f, indent=2)
        print(f"wrote {os.path.relpath(args.out, ROOT)}", file=sys.stderr)


def merge_earlier(info, path):
    """Keeps the models of the file at path that this run did not train (a run of --models siamese used to drop the
    others). Each model's entry carries the date and commands of the run that measured it."""
    for model, entry in info["models"].items():
        entry["date"] = info["date"]
        entry["commands"] = [c for c in info["commands"] if model_in(model, c)]
    try:
        with open(path) as f:
            earlier = json.load(f)
    except (OSError, ValueError):
        return
    for model, entry in earlier.get("models", {}).items():
        if model in info["models"]:
            continue
        entry.setdefault("date", earlier.get("date"))
        entry.setdefault("commands", [c for c in earlier.get("commands", []) if model_in(model, c)])
        info["models"][model] = entry


def model_in(model, command):
    """Whether command trains model (--model M, or the twin's positional M)."""
    words = command.split()
    return f"--model {model}" in command or (len(words) > 2 and words[2] == model)


if __name__ == "__main__":
    main()
