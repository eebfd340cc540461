#!/usr/bin/env bash
# Checks the packages in the local feed (tools/ship/pack.sh) as a user meets them:
#   1. a fresh console project restores Axon.Models (and so Axon and Axon.Kernels) from the feed and trains the toy lab;
#   2. `dotnet tool install` installs the axon tool from the feed, `axon --help` lists the commands and `axon toy`
#      gives the same accuracies as the console project.
# Axon's packages come only from the feed (package source mapping), restored into a packages folder of their own, so
# a copy of the same version cached by an earlier run can never stand in for the one just packed.
# Prints one "ok: ..." or "FAILED: ..." line per check; the exit code is the number of failures.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
feed=$root/artifacts/feed
version=$(cd "$root" && dotnet msbuild src/Axon/Axon.csproj -getProperty:Version -nologo)
[ -f "$feed/Axon.Models.$version.nupkg" ] || { echo "FAILED: $feed has no Axon.Models $version (run tools/ship/pack.sh)"; exit 1; }
work=$(mktemp -d /tmp/axon-packages.XXXXXX)
trap 'rm -rf "$work"' EXIT
cache=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')
failed=0
ok() { echo "ok: $*"; }
fail() { echo "FAILED: $*"; failed=$((failed + 1)); }

mkdir -p "$work/app"
cat > "$work/app/NuGet.config" <<XML
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

# 1. A console project, as `dotnet new console` makes it, with the package added by `dotnet add package`.
cd "$work/app"
dotnet new console -o toy --framework net10.0 >/dev/null || fail "dotnet new console"
cd toy
if dotnet add package Axon.Models --version "$version" >add.log 2>&1; then ok "a fresh console project restores Axon.Models $version from the feed"
else cat add.log; fail "dotnet add package Axon.Models $version"; fi
cat > Program.cs <<'CS'
using Axon;
using Axon.Data;
using Axon.Models;

// The first lecture's lab, as `axon toy` runs it by default: 100 spiral points per class, 2000 full-batch steps.
var (trainX, trainY) = ToyDatasets.Spirals(100, 3, 0.2, new Generator(0));
var (testX, testY) = ToyDatasets.Spirals(100, 3, 0.2, new Generator(1_000_003));
foreach (var r in ToyLab.Run(trainX, trainY, testX, testY, new ToyLabOptions()))
    Console.WriteLine(FormattableString.Invariant($"{r.Name}: {r.TrainAccuracy:P1} {r.TestAccuracy:P1}"));
CS
if dotnet run -c Release >run.log 2>&1; then
  cat run.log
  lib=$(grep -o '[0-9.]* %' run.log | tr -d ' %' | tr '\n' ' ')
  # (c), the trained hidden layer, fits the spirals; (a), a linear model, cannot.
  read -r _ _ _ _ c_train c_test <<<"$lib"
  if awk -v t="$c_train" -v s="$c_test" 'BEGIN { exit !(t >= 95 && s >= 95) }'; then ok "the packaged toy lab trains: (c) train $c_train %, test $c_test %"
  else fail "the packaged toy lab's trained ReLU layer reached only $c_train % / $c_test % (expected at least 95 %)"; fi
else cat run.log; fail "the console project did not build or run"; lib=""; fi

# 2. The tool, installed from the feed into a folder of its own. NuGet refuses --add-source beside source mapping, so
# this folder (beside the project's, whose configuration would apply to the folders under it) names no source at all: the feed given with --add-source is the only one.
mkdir -p "$work/tool" && cd "$work/tool"
cat > NuGet.config <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <config><add key="globalPackagesFolder" value="$work/packages" /></config>
  <packageSources><clear /></packageSources>
</configuration>
XML
if dotnet tool install Axon.Cli --version "$version" --tool-path "$work/tools" --add-source "$feed" >tool.log 2>&1; then ok "dotnet tool install Axon.Cli $version from the feed"
else cat tool.log; fail "dotnet tool install Axon.Cli"; fi
if "$work/tools/axon" --help >help.log 2>&1 && grep -q "Usage:" help.log && grep -qE "^ +train " help.log; then ok "axon --help lists the commands (train, ...)"
else cat help.log; fail "axon --help"; fi
if "$work/tools/axon" toy >toy.log 2>&1; then
  tool=$(grep -o '[0-9.]* %' toy.log | tr -d ' %' | tr '\n' ' ')
  if [ -n "$lib" ] && [ "$tool" = "$lib" ]; then ok "axon toy gives the console project's accuracies ($tool)"
  else cat toy.log; fail "axon toy gave '$tool', the console project '$lib'"; fi
else cat toy.log; fail "axon toy"; fi

exit "$failed"
