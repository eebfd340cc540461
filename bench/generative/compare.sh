#!/usr/bin/env bash
# Axon's generative and Siamese models against their PyTorch twins (bench/generative/twins.py): the same models, the
# same recipes, trained one after the other (Axon first) on 2 threads each, then judged by the same classifier.
# Installs the baseline (Debian's python3-torch on libopenblas0-pthread) when missing, builds the CLI, trains the judge
# classifier once (runs/judge), runs both tools per model into runs/compare/{axon,torch}-MODEL, and gathers the results
# with bench/generative/compare.py into bench/results/generative.json. See bench/generative/README.md.
#
#   bench/generative/compare.sh                                   # all models, the recipes' epochs
#   bench/generative/compare.sh --models vae,dcgan --epochs-scale 0.2 --limit 6000 --no-write
#   bench/generative/compare.sh --models siamese --rounds 3 --no-write   # timing: the fastest of 3 rounds per tool
#
# With --rounds R > 1 both tools train R times, in turns (round 2 starts with PyTorch, and so on), into
# runs/compare/{axon,torch}-MODEL.rK; this host's speed drifts by a third over minutes, and each tool's fastest round is
# what it does when the host leaves it alone. The quality figures are those of round 1.
set -euo pipefail
cd "$(dirname "$0")/../.."

models="vae,autoencoder,denoising-ae,gan,dcgan,infogan,siamese"
scale=1
limit=0
write=()
rounds=1
while [ $# -gt 0 ]; do
  case "$1" in
    --models) models="$2"; shift 2 ;;
    --epochs-scale) scale="$2"; shift 2 ;;
    --limit) limit="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --no-write) write=(--no-write); shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "generative/compare.sh: unknown argument $1 (--models A,B --epochs-scale F --limit N --rounds R --no-write)" >&2; exit 2 ;;
  esac
done

# The recipes' epochs (the contract of `axon train --model NAME`; twins.py uses the same).
recipe_epochs() {
  case "$1" in
    vae|autoencoder|denoising-ae|gan) echo 10 ;;
    dcgan|infogan) echo 5 ;;
    siamese) echo 3 ;;
    *) echo "generative/compare.sh: unknown model $1 (vae, autoencoder, denoising-ae, gan, dcgan, infogan, siamese)" >&2; exit 2 ;;
  esac
}
for m in ${models//,/ }; do recipe_epochs "$m" >/dev/null; done

# The baseline is Debian's PyTorch linked to OpenBLAS (pthread): install both when missing.
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null || ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  echo "generative/compare.sh: installing the baseline, Debian's python3-torch and libopenblas0-pthread." >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq python3-torch libopenblas0-pthread >&2
fi
if ! /usr/bin/python3 -c 'import torch; m = open("/proc/self/maps").read(); exit(0 if "openblas" in m else 1)'; then
  echo "generative/compare.sh: PyTorch is not using OpenBLAS (reference BLAS would make the baseline meaningless): apt-get install libopenblas0-pthread" >&2
  exit 1
fi
dotnet build src/Axon.Cli -c Release -nologo -v q >&2
axon=(dotnet src/Axon.Cli/bin/Release/net10.0/Axon.Cli.dll)  # what ./axon runs, without dotnet run's build check per call

out=runs/compare
mkdir -p "$out"
commands="$out/commands.txt"
: >"$commands"
run() {  # logs the command (for the results file), then runs it
  echo "$*" | tee -a "$commands" >&2
  "$@"
}

# The judge: Axon's own Fashion-MNIST classifier, trained once and reused.
if [ ! -f runs/judge/model.safetensors ]; then
  run "${axon[@]}" train --model lecture-cnn --epochs 10 --output runs/judge --threads 2
fi

limit_args=()
[ "$limit" != 0 ] && limit_args=(--limit "$limit")
train_axon() {  # DIR (the model and epochs of the loop below)
  DOTNET_gcServer=0 run "${axon[@]}" train --model "$m" --epochs "$epochs" --output "$1" --threads 2 "${limit_args[@]}"
}
# PyTorch's own 2 OpenMP threads run the parallel ops; OpenBLAS stays single-threaded on the caller (both at 2 fight
# over the 2 cores), and glibc's malloc keeps big buffers instead of unmapping them each step, as bench/compare.py.
train_torch() {
  OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824 \
    run /usr/bin/python3 bench/generative/twins.py "$m" --epochs "$epochs" --out "$1" --threads 2 "${limit_args[@]}"
}
for m in ${models//,/ }; do
  epochs=$(/usr/bin/python3 -c "print(max(1, round($(recipe_epochs "$m") * $scale)))")
  adir="$out/axon-$m"
  tdir="$out/torch-$m"
  rm -rf "$adir" "$tdir" "$adir".r* "$tdir".r*  # fresh runs: axon train would resume from a checkpoint left there
  echo "== $m: $epochs epochs" >&2
  train_axon "$adir"
  case "$m" in
    vae|gan|dcgan|infogan)
      run "${axon[@]}" generate "$adir/model.safetensors" --count 10000 --out "$adir/samples.safetensors" ;;
  esac
  train_torch "$tdir"
  for dir in "$adir" "$tdir"; do
    if [ -f "$dir/samples.safetensors" ]; then
      run "${axon[@]}" judge --classifier runs/judge/model.safetensors --samples "$dir/samples.safetensors" --json "$dir/judge.json" --threads 2
    fi
  done
  for ((r = 2; r <= rounds; r++)); do
    if ((r % 2 == 0)); then train_torch "$tdir.r$r"; train_axon "$adir.r$r"
    else train_axon "$adir.r$r"; train_torch "$tdir.r$r"; fi
  done
done

exec /usr/bin/python3 bench/generative/compare.py --models "$models" --epochs-scale "$scale" --limit "$limit" --runs "$out" "${write[@]}"
