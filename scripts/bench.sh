#!/usr/bin/env bash
# Runs every benchmark in bench/*.ts, one at a time (they measure the machine: keep it otherwise
# idle). A bench whose first lines say `// bench: root` needs root (network namespaces, kernel
# sets) and is skipped with the reason when not root; the others decide for themselves.
#   scripts/bench.sh                 every bench
#   scripts/bench.sh enforce ...     only bench/enforce.ts (names without .ts), extra args after --
set -euo pipefail
cd "$(dirname "$0")/.."

only=()
extra=()
while (($#)); do
  if [[ "$1" == "--" ]]; then shift; extra=("$@"); break; fi
  only+=("$1"); shift
done

status=0
for f in bench/*.ts; do
  name=$(basename "$f" .ts)
  if ((${#only[@]})) && [[ ! " ${only[*]} " == *" $name "* ]]; then continue; fi
  if head -n 3 "$f" | grep -q '^// bench: root' && [[ $(id -u) -ne 0 ]]; then
    echo "== $f: skipped: needs root (network namespaces and kernel sets)"
    continue
  fi
  echo "== $f"
  node --import tsx "$f" "${extra[@]}" || { echo "== $f failed (exit $?)"; status=1; }
done
exit $status
