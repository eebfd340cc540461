#!/usr/bin/env bash
# Packs the library packages (Axon.Kernels, Axon, Axon.Models, Axon.Imaging) and the axon tool (Axon.Cli) into the
# local feed artifacts/feed, replacing what an earlier run left there. Extra arguments go to dotnet pack
# (e.g. --no-build after a Release build, as CI does after ./test).
set -euo pipefail
cd "$(dirname "$0")/../.."
feed=artifacts/feed
rm -rf "$feed"
mkdir -p "$feed"
dotnet pack Axon.slnx -c Release -o "$feed" --nologo "$@"
ls -l "$feed"
