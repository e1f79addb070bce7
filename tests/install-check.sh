#!/bin/sh
# install-check.sh BUILD_DIR README - installs the build into a scratch
# directory, then compiles and runs the README's C snippet with the flags
# pkg-config gives for `mk`, against the installed headers and libraries.
set -eu
build=$1 readme=$2
command -v pkg-config >/dev/null 2>&1 || { echo "install-check: pkg-config not found" >&2; exit 1; }
cc=${CC:-cc}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
meson install -C "$build" --destdir "$dir/root" --quiet
pc=$(find "$dir/root" -name mk.pc | head -n 1)
[ -n "$pc" ] || { echo "install-check: mk.pc was not installed" >&2; exit 1; }
for f in libmk.so.1 libmk.a; do
  find "$dir/root" -name "$f" | grep -q . || { echo "install-check: $f not installed" >&2; exit 1; }
done
export PKG_CONFIG_PATH="$(dirname "$pc")"
prefix=$(pkg-config --variable=prefix mk)
pcx="pkg-config --define-variable=prefix=$dir/root$prefix"
flags=$($pcx --cflags --libs mk)
awk '/^```c$/{f=1;next}/^```$/{f=0}f' "$readme" > "$dir/hello.c"
[ -s "$dir/hello.c" ] || { echo "install-check: no C snippet in $readme" >&2; exit 1; }
libdir=$($pcx --variable=libdir mk)
# shellcheck disable=SC2086
$cc -std=c11 -Wall -Wextra -Werror -o "$dir/hello" "$dir/hello.c" $flags -Wl,-rpath,"$libdir"
(cd "$dir" && ./hello) | tee "$dir/out.txt"
grep -q 'success: tag 7, ping' "$dir/out.txt"
echo "install-check: README snippet built with pkg-config ($flags) and ran"
