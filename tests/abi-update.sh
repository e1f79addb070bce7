#!/bin/sh
# abi-update.sh BUILD_DIR - regenerate abi/libmk.abi from a built library.
# Run only for a deliberate, compatible ABI change (new symbols in a new
# version-script node), and commit the result with that change.
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
abidw --no-corpus-path --drop-private-types --suppressions "$top/abi/libmk.suppr" --headers-dir "$top/include/microkernel" \
  --out-file "$top/abi/libmk.abi" "$build/libmk.so.1"
echo "wrote $top/abi/libmk.abi"
