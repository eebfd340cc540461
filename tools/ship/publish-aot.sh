#!/usr/bin/env bash
# Publishes the axon command as a Native AOT single file for linux-x64: artifacts/axon-linux-x64/axon (the Skia
# libraries for plots and photos are embedded in it; see src/Axon.Cli/EmbeddedNativeLibraries.cs).
#   tools/ship/publish-aot.sh               instruction set "native": this machine's, as the JIT uses here, so the
#                                           kernels take the same paths and give bit-identical results
#   tools/ship/publish-aot.sh x86-64-v3     a portable binary for any x64 CPU with AVX2 (x86-64-v4: AVX-512)
# Installs clang and zlib1g-dev, which the AOT linker needs, when they are missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
isa=${1:-native}
if ! command -v clang >/dev/null || [ ! -f /usr/include/zlib.h ]; then
  echo "Native AOT needs clang and zlib1g-dev: installing them."
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq clang zlib1g-dev >/dev/null
fi
out=artifacts/aot-publish
rm -rf "$out" artifacts/axon-linux-x64
start=$(date +%s)
dotnet publish src/Axon.Cli -c Release -p:AxonNativeAot=true -p:IlcInstructionSet="$isa" -o "$out" --nologo
mkdir -p artifacts/axon-linux-x64
cp "$out/Axon.Cli" artifacts/axon-linux-x64/axon
echo "Published artifacts/axon-linux-x64/axon ($(stat -c %s artifacts/axon-linux-x64/axon) bytes, instruction set $isa) in $(( $(date +%s) - start )) s."
