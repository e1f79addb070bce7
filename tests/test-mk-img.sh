#!/bin/sh
# test-mk-img.sh MK_IMG - end-to-end test of the mk-img disk-image tool.
#
# Builds a host tree (nested directories, empty files, a 5 MiB file, random
# binary data, many small files), imports it into a fresh image, exports it
# back and compares the sha256 of every file; then checks the documented
# exit code of every failing command (missing image, missing path, corrupt
# image, usage errors, existing targets, skipped entries) and that errors
# name the MK_E code. Fails loudly when mk-img is missing.
#
# Prints "N passed, N failed" at the end; exits 1 on any failure.
set -u

MK_IMG=${1:-}
if [ -z "$MK_IMG" ] || [ ! -x "$MK_IMG" ]; then
    echo "FATAL: mk-img not found or not executable: '${MK_IMG}'" >&2
    echo "usage: $0 /path/to/mk-img" >&2
    exit 1
fi
for tool in sha256sum find sort head dd cmp; do
    command -v "$tool" >/dev/null 2>&1 || { echo "FATAL: $tool is missing" >&2; exit 1; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/mk-img-test.XXXXXX") || { echo "FATAL: mktemp" >&2; exit 1; }
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }

# expect CODE DESCRIPTION CMD... : run CMD, check its exit code.
expect() {
    want=$1; what=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" -eq "$want" ]; then
        ok "$what (exit $got)"
    else
        bad "$what: exit $got, expected $want"
        sed 's/^/    stdout: /' "$T/out" | head -5
        sed 's/^/    stderr: /' "$T/err" | head -5
    fi
}
# grep_err PATTERN DESCRIPTION : the last command's stderr matches.
grep_err() {
    if grep -q -- "$1" "$T/err"; then ok "$2"; else bad "$2: stderr lacks '$1'"; sed 's/^/    /' "$T/err" | head -5; fi
}
grep_out() {
    if grep -q -- "$1" "$T/out"; then ok "$2"; else bad "$2: stdout lacks '$1'"; sed 's/^/    /' "$T/out" | head -5; fi
}

# ---------------------------------------------------------------- the tree
SRC=$T/src
mkdir -p "$SRC/a/b/c/d/e" "$SRC/empty-dir" "$SRC/many" "$SRC/bin" || exit 1
: >"$SRC/empty"
: >"$SRC/a/b/c/d/e/also-empty"
echo "top" >"$SRC/top.txt"
head -c 5242880 /dev/urandom >"$SRC/bin/five-mib.bin"
head -c 1234567 /dev/urandom >"$SRC/a/b/odd-size.bin"
head -c 4096 /dev/urandom >"$SRC/a/b/c/exact-block.bin"
head -c 4097 /dev/urandom >"$SRC/a/b/c/block-plus-one.bin"
i=0
while [ $i -lt 300 ]; do
    echo "small file $i" >"$SRC/many/f$i"
    i=$((i + 1))
done
name59=$(printf 'n%.0s' $(seq 1 59))
echo "fifty-nine" >"$SRC/$name59"
printf 'spaces and ünïcødé\n' >"$SRC/a/name with spaces ünïcødé"

IMG=$T/t.img
expect 0 "create a 64 MiB image" "$MK_IMG" create "$IMG" 64M
[ "$(wc -c <"$IMG")" -eq 67108864 ] && ok "image is 64 MiB" || bad "image size $(wc -c <"$IMG")"
expect 0 "import the tree" "$MK_IMG" import "$IMG" "$SRC" /data --no-progress
grep_out "imported 309 files" "import counts 309 files"
expect 0 "export the tree" "$MK_IMG" export "$IMG" /data "$T/dst" --no-progress
(cd "$SRC" && find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2) >"$T/a.sum"
(cd "$T/dst" && find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2) >"$T/b.sum"
if [ "$(wc -l <"$T/a.sum")" -eq 309 ] && cmp -s "$T/a.sum" "$T/b.sum"; then
    ok "sha256 of all $(wc -l <"$T/a.sum") files identical after import/export"
else
    bad "sha256 lists differ"; diff "$T/a.sum" "$T/b.sum" | head -10
fi
(cd "$SRC" && find . -type d | LC_ALL=C sort) >"$T/a.dirs"
(cd "$T/dst" && find . -type d | LC_ALL=C sort) >"$T/b.dirs"
cmp -s "$T/a.dirs" "$T/b.dirs" && ok "same directories (empty ones too)" || bad "directory lists differ"

# Inspecting.
expect 0 "cat a file" "$MK_IMG" cat "$IMG" /data/top.txt
[ "$(cat "$T/out")" = "top" ] && ok "cat prints the content" || bad "cat printed '$(cat "$T/out")'"
expect 0 "cat the 5 MiB file" "$MK_IMG" cat "$IMG" data/bin/five-mib.bin
cmp -s "$T/out" "$SRC/bin/five-mib.bin" && ok "cat gives the 5 MiB file byte for byte" || bad "cat differs"
expect 0 "stat" "$MK_IMG" stat "$IMG" /data/bin/five-mib.bin
grep_out "Size: 5242880 bytes" "stat shows the size"
grep_out "Type: regular file" "stat shows the type"
expect 0 "ls -l" "$MK_IMG" ls "$IMG" /data -l
grep_out "^d .* bin/$" "ls -l marks directories"
grep_out "^- .* 4 .* top.txt$" "ls -l shows a file's size"
expect 0 "ls -R" "$MK_IMG" ls "$IMG" / -R
grep_out "^/data/a/b/c/d/e:$" "ls -R reaches the deepest directory"
grep_out "^also-empty$" "ls -R lists its file"
expect 0 "df" "$MK_IMG" df "$IMG"
grep_out "Block size:   4096 bytes" "df shows the block size"
expect 0 "fsck of a clean image" "$MK_IMG" fsck "$IMG"
grep_out "309 files" "fsck read every file"

# Changing.
expect 0 "mkdir" "$MK_IMG" mkdir "$IMG" /new
expect 5 "mkdir of an existing directory" "$MK_IMG" mkdir "$IMG" /new
grep_err "MK_EEXIST" "mkdir error names MK_EEXIST"
expect 0 "mkdir -p of an existing directory" "$MK_IMG" mkdir "$IMG" /new/x/y -p
expect 1 "rm of a directory without -r" "$MK_IMG" rm "$IMG" /data/many
expect 0 "rm a file" "$MK_IMG" rm "$IMG" /data/top.txt
expect 4 "rm'd file is gone" "$MK_IMG" stat "$IMG" /data/top.txt
expect 0 "rm -r a tree" "$MK_IMG" rm "$IMG" /data -r
expect 4 "rm -r'd tree is gone" "$MK_IMG" ls "$IMG" /data
expect 0 "fsck after removals" "$MK_IMG" fsck "$IMG"
expect 0 "df after removals" "$MK_IMG" df "$IMG"
grep_out "Inodes: .* 4 used" "every removed inode was freed (root + /new/x/y left)"

# Skips: a symbolic link, a fifo and a name longer than MK_NAME_MAX (59).
SK=$T/skips
mkdir -p "$SK/d" || exit 1
echo keep >"$SK/keep"
ln -s keep "$SK/link"
mkfifo "$SK/fifo" 2>/dev/null || : >"$SK/fifo-unsupported"
long=$(printf 'L%.0s' $(seq 1 60))
echo long >"$SK/$long"
mkdir "$SK/d/$long" && echo inside >"$SK/d/$long/inner"
expect 6 "import with skipped entries exits 6" "$MK_IMG" import "$IMG" "$SK" /sk --no-progress
grep_err "name is 60 bytes, longer than the image's limit of 59" "long name reported"
grep_err "symbolic link" "symbolic link reported"
grep_out "names too long" "summary counts skips"
grep_out "skipped [34] " "summary gives the skip total"
expect 0 "kept file imported" "$MK_IMG" cat "$IMG" /sk/keep

# Failing commands and their documented exit codes.
expect 4 "missing image" "$MK_IMG" ls "$T/no-such.img"
grep_err "MK_ENOENT" "missing image names MK_ENOENT"
expect 4 "missing path in the image" "$MK_IMG" cat "$IMG" /no/such/file
grep_err "MK_ENOENT: no such object" "missing path names MK_ENOENT and its message"
expect 4 "missing host directory" "$MK_IMG" import "$IMG" "$T/no-such-dir"
expect 4 "export of a missing path" "$MK_IMG" export "$IMG" /nope "$T/x"
expect 5 "create over an existing image" "$MK_IMG" create "$IMG" 1M
expect 0 "create --force over it" "$MK_IMG" create "$T/f.img" 1M
expect 0 "create --force" "$MK_IMG" create "$T/f.img" 2M --force
expect 2 "no command" "$MK_IMG"
expect 2 "unknown command" "$MK_IMG" frobnicate "$IMG"
expect 2 "unknown option" "$MK_IMG" ls "$IMG" --bogus
expect 2 "too many arguments" "$MK_IMG" cat "$IMG" /a /b
expect 2 "too few arguments" "$MK_IMG" create "$T/y.img"
grep_err "create: expected 2 arguments, got 1" "argument count error says what was expected"
expect 2 "bad size" "$MK_IMG" create "$T/y.img" 12Q
[ ! -e "$T/y.img" ] && ok "usage errors create nothing" || bad "y.img was created"
expect 0 "--help" "$MK_IMG" --help
grep_out "Exit status" "--help documents exit codes"
for c in create format import export ls cat stat rm mkdir fsck df; do
    expect 0 "$c --help" "$MK_IMG" "$c" --help
done

# Corrupt images.
head -c 1048576 /dev/urandom >"$T/random.img"
expect 3 "random bytes are not an image" "$MK_IMG" ls "$T/random.img"
grep_err "MK_ENOFS" "not-an-image names MK_ENOFS"
printf 'hello' >"$T/odd.img"
expect 3 "odd-sized file is not an image" "$MK_IMG" df "$T/odd.img"
cp "$T/f.img" "$T/sb.img"
dd if=/dev/urandom of="$T/sb.img" bs=64 count=1 seek=1 conv=notrunc 2>/dev/null
expect 3 "damaged superblock" "$MK_IMG" ls "$T/sb.img"
expect 3 "fsck of a damaged superblock" "$MK_IMG" fsck "$T/sb.img"
# Damage at known places of the documented layout (src/fs/fs_format.h:
# superblock u64 bmap_start at byte 32, itable_start at byte 56).
u64_at() { od -An -tu8 -j"$2" -N8 "$1" | tr -d ' '; }
expect 0 "create an image to damage" "$MK_IMG" create "$T/leak.img" 16M
bm=$(u64_at "$T/leak.img" 32)
printf '\377' | dd of="$T/leak.img" bs=1 seek=$((bm * 4096 + 500)) conv=notrunc 2>/dev/null
expect 3 "fsck finds 8 leaked blocks" "$MK_IMG" fsck "$T/leak.img"
grep_out "leaked blocks *8" "fsck names the problem and its count"
expect 7 "fsck --repair repairs them" "$MK_IMG" fsck "$T/leak.img" --repair
expect 0 "fsck is clean after the repair" "$MK_IMG" fsck "$T/leak.img"
expect 0 "create an image to break" "$MK_IMG" create "$T/root.img" 16M
it=$(u64_at "$T/root.img" 56)
printf '\007' | dd of="$T/root.img" bs=1 seek=$((it * 4096 + 128)) conv=notrunc 2>/dev/null
expect 3 "a root inode of unknown type: ls" "$MK_IMG" ls "$T/root.img"
grep_err "MK_ECORRUPT" "corrupt image names MK_ECORRUPT"
expect 3 "a root inode of unknown type: fsck --repair" "$MK_IMG" fsck "$T/root.img" --repair
head -c 1048576 /dev/zero >"$T/blank.img"
expect 3 "blank image" "$MK_IMG" ls "$T/blank.img"
grep_err "format" "blank image suggests format"
expect 0 "format a blank image" "$MK_IMG" format "$T/blank.img"
expect 0 "formatted image lists" "$MK_IMG" ls "$T/blank.img"

# Another block size, found by probing.
expect 0 "create with 1 KiB blocks" "$MK_IMG" create "$T/k.img" 8M -b 1024
expect 0 "import into it" "$MK_IMG" import "$T/k.img" "$SRC/a" / --no-progress
expect 0 "read it back" "$MK_IMG" cat "$T/k.img" /b/odd-size.bin
cmp -s "$T/out" "$SRC/a/b/odd-size.bin" && ok "1 KiB-block image round-trips" || bad "1 KiB image differs"

# No space: a too-small image fails with exit 1 and says MK_ENOSPC.
expect 0 "create a 1 MiB image" "$MK_IMG" create "$T/small.img" 1M
expect 1 "import of 5 MiB into 1 MiB" "$MK_IMG" import "$T/small.img" "$SRC/bin" --no-progress
grep_err "MK_ENOSPC" "no space names MK_ENOSPC"
expect 0 "fsck after a full disk" "$MK_IMG" fsck "$T/small.img"

# One mk-img per image: a cat blocked on a full pipe holds the lock, and a
# second mk-img on the same image fails at once with exit 1 ("in use").
expect 0 "put a 5 MiB file back" "$MK_IMG" import "$IMG" "$SRC/bin" /lock --no-progress
mkfifo "$T/pipe" || { echo "FATAL: mkfifo" >&2; exit 1; }
"$MK_IMG" cat "$IMG" /lock/five-mib.bin >"$T/pipe" &
holder=$!
exec 3<"$T/pipe"                 # open the reader; cat now blocks on a full pipe
# One byte read means the holder has opened (and locked) the image.
dd bs=1 count=1 <&3 of="$T/piped" 2>/dev/null
seen=0
tries=0
while [ $tries -lt 100 ]; do     # wait (bounded) until the holder has the lock
    "$MK_IMG" df "$IMG" >/dev/null 2>"$T/err"
    if [ $? -eq 1 ] && grep -q "in use by another process" "$T/err"; then seen=1; break; fi
    tries=$((tries + 1))
    sleep 0.1
done
[ $seen -eq 1 ] && ok "second mk-img on a locked image exits 1 (in use)" || bad "lock never refused a second mk-img"
cat <&3 >>"$T/piped"
exec 3<&-
wait $holder
[ $? -eq 0 ] && ok "the lock holder finished" || bad "lock holder failed"
cmp -s "$T/piped" "$SRC/bin/five-mib.bin" && ok "lock holder's output intact" || bad "piped output differs"
expect 0 "image usable after the lock is released" "$MK_IMG" df "$IMG"

# The progress bar goes to stderr, only when asked (stderr is not a TTY here).
expect 0 "export with --progress" "$MK_IMG" export "$IMG" /sk "$T/p" --progress
grep_err "100%" "progress bar reaches 100%"
expect 0 "export without a TTY" "$MK_IMG" export "$IMG" /sk "$T/p2"
if grep -q "%" "$T/err"; then bad "progress bar drawn without a TTY"; else ok "no progress bar without a TTY"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
