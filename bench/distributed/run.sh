#!/usr/bin/env bash
# Data-parallel training on this machine: for the lecture CNN and ResNet-small, one process of 2 threads against 2 ranks
# of 1 thread under mpirun (the same global batch), then the all-reduce alone at a few sizes, over shared memory and over
# TCP on 127.0.0.1. Writes bench/results/distributed.jsonl (one JSON line per run) and a text timeline of one 2-rank step
# per model (bench/results/distributed-timeline-MODEL.txt), then prints the tables BENCHMARKS.md quotes.
# Needs the cores to itself; each timed window is SECONDS (default 3) after a warm-up of 20 steps and 1 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${SECONDS_PER_RUN:-3}"
dotnet build -c Release bench/distributed/Axon.Bench.Distributed -nologo -v q -clp:ErrorsOnly
dll=bench/distributed/Axon.Bench.Distributed/bin/Release/net10.0/Axon.Bench.Distributed.dll
out=bench/results/distributed.jsonl
mkdir -p bench/results
: > "$out"
# --oversubscribe and --allow-run-as-root for a container; Open MPI's default placement otherwise (one core per rank).
mpi=(mpirun -np 2 --oversubscribe --allow-run-as-root)
json() { grep -o '{.*}' >> "$out"; }   # the rank's terminal may prefix escape codes

for spec in "lecture-cnn 64" "resnet-small 128"; do
  read -r model batch <<< "$spec"
  echo "== $model, global batch $batch: 1 process x 2 threads"
  dotnet "$dll" train --model "$model" --batch "$batch" --threads 2 --min-seconds "$seconds" | json
  echo "== $model, global batch $batch: 2 ranks x 1 thread"
  "${mpi[@]}" dotnet "$dll" train --model "$model" --batch "$batch" --threads 1 --min-seconds "$seconds" \
    --timeline "bench/results/distributed-timeline-$model.txt" | json
done
for mib in 0.46 2.66 25; do
  echo "== all-reduce of $mib MiB, 2 ranks, shared memory (vader) and TCP on 127.0.0.1"
  "${mpi[@]}" dotnet "$dll" allreduce --mib "$mib" --min-seconds 1 | sed 's/"workload":"allreduce"/"workload":"allreduce","transport":"shm"/' | json
  "${mpi[@]}" --mca btl self,tcp --mca btl_tcp_if_include lo dotnet "$dll" allreduce --mib "$mib" --min-seconds 1 |
    sed 's/"workload":"allreduce"/"workload":"allreduce","transport":"tcp-lo"/' | json
done

python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| model | run | global batch | img/s | step ms | forward | backward | wait | all-reduce (overlapped) | gradients |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    if r["workload"] != "train": continue
    run = f'{r["ranks"]} rank{"s" if r["ranks"] > 1 else ""} x {r["threads_per_rank"]} thread{"s" if r["threads_per_rank"] > 1 else ""}'
    comm = f'{r["allreduce_ms"]:.1f} ({r["overlapped_ms"]:.1f})' if r["ranks"] > 1 else "-"
    wait = f'{r["wait_ms"]:.1f}' if r["ranks"] > 1 else "-"
    print(f'| {r["model"]} | {run} | {r["global_batch"]} | {r["img_per_s"]:.0f} | {r["step_ms"]:.1f} | {r["forward_ms"]:.1f} | {r["backward_ms"]:.1f} | {wait} | {comm} | {r["gradient_mib"]:.2f} MiB in {r["buckets"]} bucket(s) |')
print()
print("| all-reduce | transport | ms | algorithm GB/s | bus GB/s |")
print("|---|---|---|---|---|")
for r in rows:
    if r["workload"] == "allreduce":
        print(f'| {r["mib"]} MiB | {r["transport"]} | {r["ms"]:.3f} | {r["algorithm_gb_per_s"]:.2f} | {r["bus_gb_per_s"]:.2f} |')
PY
