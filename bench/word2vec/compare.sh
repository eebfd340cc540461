#!/usr/bin/env bash
# Axon's word2vec against Debian's fastText (-minn 0 -maxn 0: plain skip-gram and CBOW), on the same tokenised corpus,
# same settings, interleaved. Installs fasttext when missing, builds the CLI, then runs compare.py (arguments pass
# through: --corpus kjv|gcide|FILE, --seeds N, --epochs N, --no-write). See BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v fasttext >/dev/null; then
  echo "word2vec/compare.sh: installing the baseline, Debian's fasttext." >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq fasttext >&2
fi
dotnet build -c Release -nologo -v q src/Axon.Cli/Axon.Cli.csproj >&2
exec python3 bench/word2vec/compare.py "$@"
