#!/usr/bin/env bash
# Builds the .device/ bundle for the GPU machine (see ../../../shared/GPU.md): the .NET runtime as a tarball and the
# framework-dependent publish of Axon.Bench.Gpu. Run from anywhere; then on the GPU machine, in the project root with
# .device/ copied there: bash bench/gpu/device.sh   (results under $OUT, or bench/gpu/results when OUT is unset).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
exclude="$(git rev-parse --git-common-dir)/info/exclude"   # never committed (a worktree shares its repository's)
mkdir -p "$(dirname "$exclude")" && { grep -qxF '/.device/' "$exclude" 2>/dev/null || echo '/.device/' >> "$exclude"; }
rm -rf .device/app && mkdir -p .device
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
v=$(ls "$dotnet_root/shared/Microsoft.NETCore.App" | sort -V | tail -1)
if [ ! -f .device/dotnet-runtime.tgz ] || [ "$(cat .device/dotnet-version 2>/dev/null)" != "$v" ]; then
  tar -czf .device/dotnet-runtime.tgz -C "$dotnet_root" dotnet host "shared/Microsoft.NETCore.App/$v"
  echo "$v" > .device/dotnet-version
fi
nice -n 15 dotnet publish bench/gpu/Axon.Bench.Gpu -c Release -o .device/app --nologo -v quiet
du -sh .device/dotnet-runtime.tgz .device/app .device
echo "bundle ready: copy .device/ to the GPU machine and run bash bench/gpu/device.sh there"
