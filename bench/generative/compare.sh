#!/usr/bin/env bash
# Axon's generative and Siamese models against their PyTorch twins (bench/generative/twins.py): the same models, the
# same recipes, trained one after the other (Axon first) on 2 threads each, then judged by the same classifier.
# Installs the baseline (Debian's python3-torch on libopenblas0-pthread) when missing, builds the CLI, trains the judge
# classifier once (runs/judge), runs both tools per model into runs/compare/{axon,torch}-MODEL, and gathers the results
# with bench/generative/compare.py into bench/results/generative.json. See bench/generative/README.md.
#
#   bench/generative/compare.sh                                   # all models, the recipes' epochs
#   bench/generative/compare.sh --models vae,dcgan --epochs-scale 0.2 --limit 6000 --no-write
set -euo pipefail
cd "$(dirname "$0")/../.."

models="vae,autoencoder,denoising-ae,gan,dcgan,infogan,siamese"
scale=1
limit=0
write=()
while [ $# -gt 0 ]; do
  case "$1" in
    --models) models="$2"; shift 2 ;;
    --epochs-scale) scale="$2"; shift 2 ;;
    --limit) limit="$2"; shift 2 ;;
    --no-write) write=(--no-write); shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "generative/compare.sh: unknown argument $1 (--models A,B --epochs-scale F --limit N --no-write)" >&2; exit 2 ;;
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
for m in ${models//,/ }; do
  epochs=$(/usr/bin/python3 -c "print(max(1, round($(recipe_epochs "$m") * $scale)))")
  adir="$out/axon-$m"
  tdir="$out/torch-$m"
  rm -rf "$adir" "$tdir"  # a fresh run: axon train would resume from a checkpoint left there
  echo "== $m: $epochs epochs" >&2
  DOTNET_gcServer=0 run "${axon[@]}" train --model "$m" --epochs "$epochs" --output "$adir" --threads 2 "${limit_args[@]}"
  case "$m" in
    vae|gan|dcgan|infogan)
      run "${axon[@]}" generate "$adir/model.safetensors" --count 10000 --out "$adir/samples.safetensors" ;;
  esac
  # PyTorch's own 2 OpenMP threads run the parallel ops; OpenBLAS stays single-threaded on the caller (both at 2 fight
  # over the 2 cores), and glibc's malloc keeps big buffers instead of unmapping them each step, as bench/compare.py.
  OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824 \
    run /usr/bin/python3 bench/generative/twins.py "$m" --epochs "$epochs" --out "$tdir" --threads 2 "${limit_args[@]}"
  for dir in "$adir" "$tdir"; do
    if [ -f "$dir/samples.safetensors" ]; then
      run "${axon[@]}" judge --classifier runs/judge/model.safetensors --samples "$dir/samples.safetensors" --json "$dir/judge.json" --threads 2
    fi
  done
done

exec /usr/bin/python3 bench/generative/compare.py --models "$models" --epochs-scale "$scale" --limit "$limit" --runs "$out" "${write[@]}"
