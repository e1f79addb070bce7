#!/bin/sh
# Build and run the two mkd fuzz targets with libFuzzer (clang), locally.
#   tests/fuzz-mkd/build-fuzz.sh BUILDDIR [SECONDS]
# BUILDDIR is a normal meson build of libmk (its static libmk.a supplies the
# kernel; the parsers themselves — proto.c, dispatch.c, mipc.c — are
# recompiled here with coverage, ASan and UBSan). New corpus entries land in
# corpus-frame/ and corpus-mipc/; keep the interesting ones.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:?usage: build-fuzz.sh BUILDDIR [SECONDS]}
secs=${2:-60}
out=$build/fuzz-mkd
mkdir -p "$out"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE -std=c11 -I$root/include -I$root/src -I$root/daemon"
for t in frame mipc; do
  clang $flags -o "$out/fuzz-$t" "$here/fuzz-$t.c" "$root/daemon/dispatch.c" \
    "$root/daemon/mipc.c" "$root/src/client/proto.c" "$build/libmk.a" -lpthread
done
for t in frame mipc; do
  mkdir -p "$out/new-$t"
  "$out/fuzz-$t" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$out/crash-$t-" "$out/new-$t" "$here/corpus-$t" 2>&1 | tail -20
done
