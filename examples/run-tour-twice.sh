#!/bin/sh
# run-tour-twice.sh MK_TOUR - runs mk-tour twice on a fresh image and checks
# that the second run lists the files the first one stored. Fails loudly
# when the program is missing.
set -eu
tour=$1
[ -x "$tour" ] || { echo "run-tour-twice: $tour not built" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf 'first file\n' > "$dir/alpha.txt"
head -c 300000 /dev/urandom > "$dir/random.bin"
"$tour" --image "$dir/t.img" --size 16 "$dir/alpha.txt" "$dir/random.bin" > "$dir/run1.txt"
cat "$dir/run1.txt"
grep -q 'is blank: formatting it' "$dir/run1.txt"
grep -q 'first run on this image' "$dir/run1.txt"
[ "$(grep -c 'byte-identical' "$dir/run1.txt")" -eq 2 ]
"$tour" --image "$dir/t.img" "$dir/alpha.txt" > "$dir/run2.txt"
cat "$dir/run2.txt"
grep -q 'holds a libmk file system' "$dir/run2.txt"
grep -Eq '^  alpha.txt +11 bytes' "$dir/run2.txt"
grep -Eq '^  random.bin +300000 bytes' "$dir/run2.txt"
grep -q '2 file(s) stored by earlier runs' "$dir/run2.txt"
echo "run-tour-twice: second run listed the files of the first"
