#!/usr/bin/env bash
# Checks examples/ as a user meets it: every example references Axon.Models at the version just packed
# (tools/ship/pack.sh), restores it from the local feed (package source mapping, a packages folder of its own, so a
# copy of the same version cached by an earlier run can never stand in), builds in one `dotnet build` of
# examples/Examples.slnx (warnings as errors), and runs with a tiny budget; each run's "final:" line is checked loosely
# but meaningfully (accuracy well above chance, a loss well below its start). The Debian data packages install first
# when missing (with sudo unless root), as ./run does.
# Prints one "ok: ..." or "FAILED: ..." line per check; the exit code is the number of failures.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
feed=$root/artifacts/feed
examples=$root/examples
version=$(cd "$root" && dotnet msbuild src/Axon/Axon.csproj -getProperty:Version -nologo)
[ -f "$feed/Axon.Models.$version.nupkg" ] || { echo "FAILED: $feed has no Axon.Models $version (run tools/ship/pack.sh)"; exit 1; }
work=$(mktemp -d /tmp/axon-examples.XXXXXX)
trap 'rm -rf "$work"' EXIT
cache=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')
failed=0
ok() { echo "ok: $*"; }
fail() { echo "FAILED: $*"; failed=$((failed + 1)); }

# The data: Fashion-MNIST, and the King James Bible (compressed text, and the reader that prints it).
need=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
[ -f /usr/lib/bible.data ] || need+=(bible-kjv-text)
[ -x /usr/bin/bible ] || need+=(bible-kjv)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing ${need[*]}"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"; } >"$work/apt.log" 2>&1 ||
    { cat "$work/apt.log"; echo "could not install ${need[*]}: the examples that need them will fail"; }
fi

# 1. Each example names the packed version, as a user's project would (a version bump must update them).
stale=$(grep -L "<PackageReference Include=\"Axon.Models\" Version=\"$version\" />" "$examples"/*/*.csproj)
if [ -z "$stale" ]; then ok "the $(ls "$examples"/*/*.csproj | wc -l) examples reference Axon.Models $version"
else fail "these examples do not reference Axon.Models $version: ${stale//$root\//}"; fi

# 2. Restore from the feed into a packages folder of this run only, then one build of the examples' solution.
cat > "$work/NuGet.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <config>
    <add key="globalPackagesFolder" value="$work/packages" />
  </config>
  <packageSources>
    <clear />
    <add key="axon-feed" value="$feed" />
    <add key="machine-cache" value="$cache" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="axon-feed"><package pattern="Axon" /><package pattern="Axon.*" /></packageSource>
    <packageSource key="machine-cache"><package pattern="*" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
XML
if dotnet restore "$examples/Examples.slnx" --configfile "$work/NuGet.config" --packages "$work/packages" >"$work/restore.log" 2>&1; then
  ok "the examples restore Axon.Models $version from the feed"
else cat "$work/restore.log"; fail "dotnet restore examples/Examples.slnx"; exit "$failed"; fi
if dotnet build "$examples/Examples.slnx" -c Release --no-restore -p:TreatWarningsAsErrors=true -nologo >"$work/build.log" 2>&1; then
  ok "the examples build without warnings in one dotnet build"
else grep -E "error|warn" "$work/build.log" | sort -u; fail "dotnet build examples/Examples.slnx"; exit "$failed"; fi

# 3. Each example with a tiny budget. run NAME EXPECTED CONDITION ARGS...: CONDITION is awk over the numbers of the
# final line, n[1], n[2], ... in order (a thousands separator splits a number), and the line itself, final.
mkdir -p "$work/out"
run() {
  local name=$1 expected=$2 condition=$3 start final numbers
  shift 3
  start=$(date +%s)
  if ! (cd "$work/out" && timeout 120 dotnet "$examples/$name/bin/Release/net10.0/$name.dll" "$@") >"$work/$name.log" 2>&1; then
    tail -20 "$work/$name.log"; fail "$name $* did not run to the end (exit code or timeout)"; return
  fi
  final=$(grep '^final: ' "$work/$name.log" | tail -1)
  final=${final#final: }
  numbers=$(grep -oE '[0-9]+(\.[0-9]+)?' <<<"$final" | tr '\n' ' ')
  if [ -n "$final" ] && awk -v final="$final" -v numbers="$numbers" "BEGIN { split(numbers, n, \" \"); exit !($condition) }"; then
    ok "$name: $final ($(($(date +%s) - start)) s)"
  else tail -20 "$work/$name.log"; fail "$name: '$final', expected $expected"; fi
}
run Perceptron "convergence within the theorem's bound" 'final ~ /^converged/ && n[1] <= n[2]' --points 200
run LogisticRegression "the MLP (c) at least 85 % and 20 points above logistic regression (a)" 'n[3] >= 85 && n[3] >= n[1] + 20' --steps 300
run Mlp "test accuracy at least 65 % (chance 10 %)" 'n[1] >= 65' --epochs 1 --limit 5000
run FashionCnn "test accuracy at least 60 % (chance 10 %)" 'n[1] >= 60' --epochs 1 --limit 5000
run TransferLearning "every regime at least 40 % (chance 20 %)" 'n[4] >= 40 && n[5] >= 40 && n[6] >= 40' \
  --pretrain-epochs 1 --limit 3000 --epochs 3 --labels 20
run Vae "-ELBO at most 70 % of its value before training" 'n[1] <= 0.7 * n[4]' --epochs 1 --limit 10000
run Gan "the generated images' mean at most 75 % as far from the data's as before training" 'n[1] <= 0.75 * n[2]' --epochs 1 --limit 20000
run CharLstm "at most 3.5 bits per character (single-character frequencies give about 4.4)" 'n[1] <= 3.5' \
  --steps 150 --limit 300000 --hidden 128 --seq-len 50 --batch 32
run Word2Vec "Spearman rho at least 0.25 on the KJV similarity pairs" 'n[1] >= 0.25' --epochs 2 --dim 50 --threads 2

exit "$failed"
