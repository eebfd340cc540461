#!/usr/bin/python3
"""Axon's word2vec against fastText: the driver behind bench/word2vec/compare.sh (which installs fastText and builds
the CLI first).

Both tools train on one file, the corpus as `axon word2vec tokenize` writes it (lower case, punctuation split, one
sentence per line), with the same model, dimension, window, negatives, minimum count, subsampling threshold, learning
rate and epochs (fastText's defaults; -minn 0 -maxn 0 turns its subwords off). Runs alternate fastText, Axon.

Speed: words per second per thread, with 1 and 2 threads, seed 1. Two figures per run: the rate each tool reports for
its training loop (fastText counts its end-of-line tokens too), and the end-to-end rate, the corpus's tokens times the
epochs over the whole process's wall time (reading, vocabulary, training, writing vectors) divided by the threads.

Quality: with one thread (both tools then deterministic) and seeds 1..N, the vectors are scored by
`axon word2vec evaluate` on the KJV test sets (232 rated pairs: Spearman's rho; 1,158 analogies: 3CosAdd accuracy);
the table gives the mean and standard deviation over the seeds.

    bench/word2vec/compare.sh                    # the KJV, 5 seeds, about 5 minutes
    bench/word2vec/compare.sh --corpus gcide --seeds 1
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
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AXON = ["dotnet", os.path.join(ROOT, "src/Axon.Cli/bin/Release/net10.0/Axon.Cli.dll")]
RESULTS = os.path.join(ROOT, "bench/results")

# fastText's defaults, given to both tools explicitly.
SETTINGS = {"dim": 100, "window": 5, "negative": 5, "min_count": 5, "sample": 1e-4, "lr": 0.05}


def run(cmd, **kw):
    start = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"compare.py: {' '.join(cmd)} failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return p.stdout + p.stderr, wall


def fasttext(model, corpus, out, threads, seed, epochs):
    s = SETTINGS
    text, wall = run(["fasttext", model, "-input", corpus, "-output", out, "-minn", "0", "-maxn", "0",
                      "-dim", str(s["dim"]), "-ws", str(s["window"]), "-neg", str(s["negative"]),
                      "-minCount", str(s["min_count"]), "-t", str(s["sample"]), "-lr", str(s["lr"]),
                      "-epoch", str(epochs), "-thread", str(threads), "-seed", str(seed)])
    rates = re.findall(r"words/sec/thread:\s*([0-9]+)", text)
    if not rates:
        sys.exit(f"compare.py: no words/sec/thread in fastText's output:\n{text[-2000:]}")
    return {"reported_per_thread": float(rates[-1]), "wall_s": wall, "vectors": out + ".vec"}


def axon(model, corpus, out, threads, seed, epochs):
    s = SETTINGS
    text, wall = run(AXON + ["word2vec", "train", "--corpus", corpus, "--model", model, "--dim", str(s["dim"]),
                             "--window", str(s["window"]), "--negative", str(s["negative"]),
                             "--min-count", str(s["min_count"]), "--sample", str(s["sample"]), "--lr", str(s["lr"]),
                             "--epochs", str(epochs), "--threads", str(threads), "--seed", str(seed), "--out", out + ".vec"])
    m = re.search(r"\(([0-9,]+) words/s, final loss", text)
    if not m:
        sys.exit(f"compare.py: no words/s in Axon's output:\n{text[-2000:]}")
    return {"reported_per_thread": float(m.group(1).replace(",", "")) / threads, "wall_s": wall, "vectors": out + ".vec"}


def evaluate(vectors, workdir):
    path = os.path.join(workdir, "eval.json")
    run(AXON + ["word2vec", "evaluate", "--vectors", vectors, "--json", path])
    with open(path) as f:
        doc = json.load(f)
    total = next(a for a in doc["analogies"] if a["category"] == "all")
    return {"spearman": doc["similarity"]["spearman"], "analogy": total["accuracy"], "words": doc["words"],
            "categories": {a["category"]: a["accuracy"] for a in doc["analogies"]}}


def machine():
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    model = re.search(r"Model name:\s*(.+)", lscpu)
    version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "fasttext"], capture_output=True, text=True, check=False).stdout
    return {"cpu": model.group(1).strip() if model else platform.processor(), "cores": os.cpu_count(), "fasttext": version}


def mean_sd(xs):
    return (statistics.mean(xs), statistics.stdev(xs) if len(xs) > 1 else 0.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="kjv", help="kjv, gcide or a UTF-8 text file")
    ap.add_argument("--seeds", type=int, default=5, help="one-thread runs per tool and model scored for quality")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--models", default="skipgram,cbow")
    ap.add_argument("--no-write", action="store_true", help="print only; do not write bench/results/word2vec-CORPUS.json")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="axon-w2v-bench-")
    corpus = os.path.join(work, "corpus.txt")
    text, _ = run(AXON + ["word2vec", "tokenize", "--corpus", args.corpus, "--out", corpus])
    tokens = int(re.search(r"([0-9,]+) tokens", text).group(1).replace(",", ""))
    print(text.strip(), file=sys.stderr)

    rows = []
    for model in args.models.split(","):
        runs = {"fasttext": {}, "axon": {}}
        plan = [(1, seed) for seed in range(1, args.seeds + 1)] + [(2, 1)]
        for threads, seed in plan:
            for tool, fn in (("fasttext", fasttext), ("axon", axon)):
                out = os.path.join(work, f"{tool}-{model}-{threads}-{seed}")
                r = fn(model, corpus, out, threads, seed, args.epochs)
                r["end_to_end_per_thread"] = tokens * args.epochs / r["wall_s"] / threads
                if threads == 1:
                    r.update(evaluate(r["vectors"], work))
                os.remove(r["vectors"])
                runs[tool][(threads, seed)] = r
                print(f"  {model} {tool} threads {threads} seed {seed}: {r['reported_per_thread']:,.0f} words/s/thread reported, "
                      f"{r['end_to_end_per_thread']:,.0f} end to end ({r['wall_s']:.1f} s)"
                      + (f", rho {r['spearman']:.4f}, analogies {100 * r['analogy']:.2f} %" if threads == 1 else ""), file=sys.stderr)
        row = {"model": model}
        for tool in ("fasttext", "axon"):
            t = runs[tool]
            row[tool] = {
                "threads": {str(n): {"reported_per_thread": t[(n, 1)]["reported_per_thread"],
                                     "end_to_end_per_thread": t[(n, 1)]["end_to_end_per_thread"],
                                     "wall_s": t[(n, 1)]["wall_s"]} for n in (1, 2)},
                "spearman": mean_sd([t[(1, s)]["spearman"] for s in range(1, args.seeds + 1)]),
                "analogy": mean_sd([t[(1, s)]["analogy"] for s in range(1, args.seeds + 1)]),
                "categories": {c: statistics.mean(t[(1, s)]["categories"][c] for s in range(1, args.seeds + 1))
                               for c in t[(1, 1)]["categories"]},
            }
        rows.append(row)

    info = {"date": datetime.date.today().isoformat(), "machine": machine(), "corpus": args.corpus, "tokens": tokens,
            "epochs": args.epochs, "seeds": args.seeds, "settings": SETTINGS, "rows": rows}
    print(table(info))
    if not args.no_write:
        os.makedirs(RESULTS, exist_ok=True)
        name = os.path.splitext(os.path.basename(args.corpus))[0]
        with open(os.path.join(RESULTS, f"word2vec-{name}.json"), "w") as f:
            json.dump(info, f, indent=2)


def table(info):
    m = info["machine"]
    lines = [f"Corpus {info['corpus']} ({info['tokens']:,} tokens), {info['epochs']} epochs, dim {info['settings']['dim']}, "
             f"window {info['settings']['window']}, {info['settings']['negative']} negatives, min count {info['settings']['min_count']}, "
             f"t {info['settings']['sample']}, lr {info['settings']['lr']}; {m['cpu']}, fastText {m['fasttext']}, {info['date']}.",
             "",
             "| model | threads | fastText words/s/thread | Axon words/s/thread | Axon / fastText | end to end: fastText | Axon | Axon / fastText |",
             "|---|---|---|---|---|---|---|---|"]
    for r in info["rows"]:
        for n in ("1", "2"):
            f, a = r["fasttext"]["threads"][n], r["axon"]["threads"][n]
            lines.append(f"| {r['model']} | {n} | {f['reported_per_thread']:,.0f} | {a['reported_per_thread']:,.0f} | "
                         f"{a['reported_per_thread'] / f['reported_per_thread']:.2f}x | {f['end_to_end_per_thread']:,.0f} | "
                         f"{a['end_to_end_per_thread']:,.0f} | {a['end_to_end_per_thread'] / f['end_to_end_per_thread']:.2f}x |")
    lines += ["", f"Quality (one thread, mean ± sd over {info['seeds']} seeds; KJV test sets):", "",
              "| model | tool | similarity (Spearman rho x 100) | analogies (% correct) |", "|---|---|---|---|"]
    for r in info["rows"]:
        for tool, name in (("fasttext", "fastText"), ("axon", "Axon")):
            q = r[tool]
            lines.append(f"| {r['model']} | {name} | {100 * q['spearman'][0]:.1f} ± {100 * q['spearman'][1]:.1f} | "
                         f"{100 * q['analogy'][0]:.1f} ± {100 * q['analogy'][1]:.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
