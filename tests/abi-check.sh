#!/bin/sh
# abi-check.sh LIB HEADERS_DIR BASELINE
# Compares the built shared library with the checked-in ABI baseline using
# libabigail's abidiff. Added symbols are allowed (a compatible change: add
# them to a new version-script node and regenerate the baseline with
# tests/abi-update.sh); removed or changed symbols fail.
# Fails loudly (exit 1) when abidiff or an input is missing: a check that
# cannot run must not pass.
set -u
lib=$1 hdrs=$2 base=$3
command -v abidiff >/dev/null 2>&1 || { echo "abi-check: abidiff not found (install abigail-tools)" >&2; exit 1; }
[ -f "$lib" ] || { echo "abi-check: library $lib not built" >&2; exit 1; }
[ -f "$base" ] || { echo "abi-check: baseline $base missing" >&2; exit 1; }
abidiff --headers-dir2 "$hdrs" --drop-private-types --no-added-syms --suppressions "$(dirname "$base")/libmk.suppr" "$base" "$lib"
rc=$?
# abidiff's exit status is a bit field: 1 error, 2 usage, 4 ABI change,
# 8 incompatible ABI change.
if [ $((rc & 3)) -ne 0 ]; then echo "abi-check: abidiff failed to run (status $rc)" >&2; exit 1; fi
if [ $((rc & 8)) -ne 0 ]; then echo "abi-check: INCOMPATIBLE ABI change against $base" >&2; exit 1; fi
if [ $((rc & 4)) -ne 0 ]; then echo "abi-check: ABI changed against $base; if compatible, regenerate the baseline" >&2; exit 1; fi
echo "abi-check: $lib matches $base"
