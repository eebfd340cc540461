#!/usr/bin/env bash
# Axon against PyTorch, interleaved, one process per workload: builds the end-to-end harness once, then runs
# bench/compare.py (arguments pass through: --reps N, --tta, --only NAME, --no-write). See BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# The baseline is Debian's PyTorch linked to OpenBLAS (pthread): install both when missing.
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null || ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  echo "compare.sh: installing the baseline, Debian's python3-torch and libopenblas0-pthread." >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq python3-torch libopenblas0-pthread >&2
fi
if ! /usr/bin/python3 -c 'import torch, re; m = open("/proc/self/maps").read(); exit(0 if "openblas" in m else 1)'; then
  echo "compare.sh: PyTorch is not using OpenBLAS (reference BLAS would make the baseline meaningless): apt-get install libopenblas0-pthread" >&2
  exit 1
fi
dotnet build -c Release -nologo -v q bench/Axon.Bench.EndToEnd/Axon.Bench.EndToEnd.csproj >&2
exec /usr/bin/python3 bench/compare.py "$@"
