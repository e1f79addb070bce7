#!/bin/sh
# exports-check.sh LIB - the shared library exports only mk_ symbols, all
# versioned MK_1.0, and carries the SONAME libmk.so.1. Fails loudly when a
# tool or the library is missing.
set -eu
lib=$1
for t in nm readelf; do
  command -v $t >/dev/null 2>&1 || { echo "exports-check: $t not found" >&2; exit 1; }
done
[ -f "$lib" ] || { echo "exports-check: $lib not built" >&2; exit 1; }
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = libmk.so.1 ] || { echo "exports-check: SONAME is '$soname', want libmk.so.1" >&2; exit 1; }
syms=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}')
n=$(printf '%s\n' "$syms" | grep -c . || true)
bad=$(printf '%s\n' "$syms" | grep -v '^mk_[a-z0-9_]*@@MK_1\.0$' | grep -v '^MK_1\.0$' || true)
if [ -n "$bad" ]; then
  echo "exports-check: symbols outside the mk_ namespace or MK_1.0 node:" >&2
  printf '%s\n' "$bad" >&2
  exit 1
fi
[ "$n" -gt 50 ] || { echo "exports-check: only $n symbols exported: the build is wrong" >&2; exit 1; }
echo "exports-check: $n symbols, all mk_* in MK_1.0, SONAME $soname"
