#!/bin/sh
# check-example.sh PROGRAM TEXT... - runs an example in a scratch folder,
# shows its output, and fails unless it exits 0 and its output contains
# every TEXT (fixed strings). Fails loudly when the program is missing.
set -eu
prog=$1
shift
[ -x "$prog" ] || { echo "check-example: $prog not built" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
status=0
"$prog" > out.txt 2>&1 || status=$?
cat out.txt
[ "$status" -eq 0 ] || { echo "check-example: $prog exited with $status" >&2; exit 1; }
for want in "$@"; do
    grep -qF -- "$want" out.txt || { echo "check-example: output lacks: $want" >&2; exit 1; }
done
echo "check-example: $(basename "$prog") ok"
