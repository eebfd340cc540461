#!/usr/bin/env bash
# Builds the documentation site into docs/_site (git-ignored): the API reference from the libraries' XML doc comments
# (docfx metadata reads the projects in Release, as ./test builds them), the articles in docs/, and a page per example
# of examples/ when that folder is there. docfx comes from the local tool manifest (.config/dotnet-tools.json).
# Warnings are errors: an invalid cross reference, a broken link or a bad include fails the build. Browse it with
# `dotnet docfx serve docs/_site` (http://localhost:8080); opened as files, the pages load without their menus.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet tool restore >/dev/null

# The examples: docs/docfx.json takes every examples/*/README.md as a page (examples/NAME/README.html, so the READMEs'
# links to each other and to their Program.cs work as they are). What a glob cannot make is made here, in
# docs/_examples: a page showing each Program.cs (NAME/source.md), the table that docs/examples.md includes (list.md)
# and the examples' side menu (toc.yml). Without examples/ the table says so and the site has no example pages.
gen=docs/_examples
rm -rf "$gen" docs/_site
mkdir -p "$gen"
shopt -s nullglob
readmes=(examples/*/README.md)
if [ ${#readmes[@]} -eq 0 ]; then
  printf 'This copy of the site was built without the repository'"'"'s `examples/` folder.\n' >"$gen/list.md"
else
  printf '| example | what it shows | code |\n|---|---|---|\n' >"$gen/list.md"
  : >"$gen/toc.yml"
  for readme in "${readmes[@]}"; do
    dir=$(dirname "$readme") name=$(basename "$(dirname "$readme")")
    # The README's title, and the first sentence of its first paragraph, for the table.
    title=$(sed -n 's/^# \+//p' "$readme" | head -1)
    title=${title:-$name}
    ytitle=${title//\\/\\\\} ytitle=\"${ytitle//\"/\\\"}\"   # a YAML string, whatever the title holds
    summary=$(awk '/^#/ || /^```/ {if (started) exit; next} /^[[:space:]]*$/ {if (started) exit; next} {started=1; printf "%s ", $0}' "$readme" |
      sed -E 's/([.!?])[[:space:]].*/\1/; s/[[:space:]]+$//; s/\|/\\|/g')
    code=""
    printf -- '- name: %s\n  href: ../../%s\n' "$ytitle" "$readme" >>"$gen/toc.yml"
    if [ -f "$dir/Program.cs" ]; then
      mkdir -p "$gen/$name"
      printf '# %s: Program.cs\n\n[What it does](../../../%s) | [Program.cs as a file](../../../%s/Program.cs)\n\n[!code-csharp[](../../../%s/Program.cs)]\n' \
        "$name" "$readme" "$dir" "$dir" >"$gen/$name/source.md"
      code="[Program.cs]($name/source.md)"
      printf -- '  items:\n    - name: Program.cs\n      href: %s/source.md\n' "$name" >>"$gen/toc.yml"
    fi
    printf '| [%s](../../%s) | %s | %s |\n' "$title" "$readme" "$summary" "$code" >>"$gen/list.md"
  done
fi

dotnet docfx metadata docs/docfx.json --warningsAsErrors
dotnet docfx build docs/docfx.json --warningsAsErrors
test -f docs/_site/index.html
echo "docs: $(find docs/_site -name '*.html' ! -name toc.html | wc -l) pages in docs/_site; browse: dotnet docfx serve docs/_site"
