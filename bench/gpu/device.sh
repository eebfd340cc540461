#!/usr/bin/env bash
# Runs on the GPU machine, in the project root, with the .device/ bundle that run.sh built: unpacks .NET, points the
# loader at CUDA 13's cuBLAS and NVRTC, and runs the check and timings (a few minutes at most). Writes the log and
# the JSON under $OUT (else bench/gpu/results), plus nvidia-smi's view of the machine.
set -uo pipefail
out=${OUT:-bench/gpu/results}
mkdir -p "$out" .device/dotnet
tar -xzf .device/dotnet-runtime.tgz -C .device/dotnet
export DOTNET_ROOT=$PWD/.device/dotnet
export LD_LIBRARY_PATH=/usr/local/cuda-13.0/targets/x86_64-linux/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export XDG_CACHE_HOME=$PWD/.device/cache
nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
timeout 480 .device/dotnet/dotnet .device/app/Axon.Bench.Gpu.dll "$out/gpu-results.json" 2>&1 | tee "$out/gpu-check.log"
rc=${PIPESTATUS[0]}
echo "exit code $rc" | tee -a "$out/gpu-check.log"
exit "$rc"
