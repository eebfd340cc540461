#!/usr/bin/env bash
# Writes fasttext_kjv_genesis.vec: what Debian's fastText (0.9.2) writes for plain skip-gram vectors (-minn 0 -maxn 0),
# trained on the first 300 lines of the KJV as `axon word2vec tokenize` gives it. WordVectorsTests reads it to check
# that Axon reads fastText's text format and writes the same layout. Needs fasttext (apt-get install fasttext).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
../../axon word2vec tokenize --corpus kjv --out "$tmp/kjv.txt" >/dev/null
head -300 "$tmp/kjv.txt" > "$tmp/genesis.txt"
fasttext skipgram -input "$tmp/genesis.txt" -output "$tmp/ft" -minn 0 -maxn 0 -dim 6 -minCount 40 -epoch 2 -thread 1 -seed 1 -verbose 0
cp "$tmp/ft.vec" fasttext_kjv_genesis.vec
