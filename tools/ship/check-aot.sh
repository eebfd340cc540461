#!/usr/bin/env bash
# Checks that the Native AOT axon (tools/ship/publish-aot.sh) behaves as the JIT build of the same sources: the same
# help, version and error output, and the same training run (`axon train --epochs 1 --limit 2000`, fixed seed and
# threads) with the same losses and byte-identical weights and plots. Timings are the only thing left out.
# Prints one "ok: ..." or "FAILED: ..." line per check; the exit code is the number of failures.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
aot=$root/artifacts/axon-linux-x64/axon
jit_dll=$root/src/Axon.Cli/bin/Release/net10.0/Axon.Cli.dll
[ -x "$aot" ] || { echo "FAILED: $aot is missing (run tools/ship/publish-aot.sh)"; exit 1; }
if [ ! -f "$jit_dll" ]; then dotnet build "$root/src/Axon.Cli" -c Release --nologo -v q >/dev/null || { echo "FAILED: building the JIT axon"; exit 1; }; fi
data=/usr/share/datasets/fashion-mnist
if [ ! -f "$data/train-images-idx3-ubyte.gz" ]; then
  echo "Fashion-MNIST is not installed in $data: installing the Debian package dataset-fashion-mnist."
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq dataset-fashion-mnist >/dev/null
fi
work=$(mktemp -d /tmp/axon-aot.XXXXXX)
trap 'rm -rf "$work"' EXIT
failed=0
ok() { echo "ok: $*"; }
fail() { echo "FAILED: $*"; failed=$((failed + 1)); }

# Runs one build ("jit" or "aot") with the arguments in its own folder: stdout, stderr and the exit code in files.
run() {
  local kind=$1; shift
  mkdir -p "$work/$kind" && cd "$work/$kind" || return
  if [ "$kind" = jit ]; then dotnet "$jit_dll" "$@" >out.txt 2>err.txt; else "$aot" "$@" >out.txt 2>err.txt; fi
  echo $? >rc.txt
  # The folder name and the timings are all that may differ.
  sed -i -E "s#$work/$kind#DIR#g; s/[0-9.]+ s, [0-9]+ img\/s/T s, R img\/s/g" out.txt err.txt
}
same() {  # name, then the arguments of one command run by both builds
  local name=$1; shift
  run jit "$@"; run aot "$@"
  if cmp -s "$work/jit/out.txt" "$work/aot/out.txt" && cmp -s "$work/jit/err.txt" "$work/aot/err.txt" && cmp -s "$work/jit/rc.txt" "$work/aot/rc.txt"
  then ok "$name: the same output and exit code ($(cat "$work/aot/rc.txt"))"
  else fail "$name differs"; diff "$work/jit/out.txt" "$work/aot/out.txt" | head -20; diff "$work/jit/err.txt" "$work/aot/err.txt" | head -5; fi
}

ok "the AOT axon is one file of $(stat -c %s "$aot") bytes"
same "axon --help" --help
same "axon --version" --version
same "axon train --epochs 0 (an error)" train --epochs 0
same "axon toy --steps 300" toy --steps 300
same "axon train --epochs 1 --limit 2000" train --epochs 1 --limit 2000 --seed 1 --threads 2 --output run --tensorboard tb
grep -h "^epoch 1" "$work/jit/out.txt" "$work/aot/out.txt" | sed 's/^/  /'
for f in model.safetensors confusion.png curves.png run.json; do
  if cmp -s "$work/jit/run/$f" "$work/aot/run/$f"; then ok "train: $f is byte-identical"; else fail "train: $f differs between the JIT and AOT builds"; fi
done
# The TensorBoard logs differ only in the events' wall times (8 bytes each), so the files have the same size.
jit_tb=$(cat "$work"/jit/tb/events.out.tfevents.* 2>/dev/null | wc -c) aot_tb=$(cat "$work"/aot/tb/events.out.tfevents.* 2>/dev/null | wc -c)
if [ "$jit_tb" -gt 0 ] && [ "$jit_tb" = "$aot_tb" ]; then ok "train --tensorboard: event files of the same size ($aot_tb bytes)"
else fail "train --tensorboard: the JIT build wrote $jit_tb bytes of events, the AOT build $aot_tb"; fi
exit "$failed"
