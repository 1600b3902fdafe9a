#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# build-lambda-zip.sh BUILD_DIR OUT_DIR
#
# Packages the token-validator built in BUILD_DIR (this subproject's build
# directory, or a top-level build directory that contains it) as
# OUT_DIR/token-validator-lambda-<arch>.zip for the provided.al2023 runtime:
#
#   bootstrap                 sh script: runs bin/token-validator through
#                             the bundled loader and libraries
#   bin/token-validator
#   lib/ld-linux-*.so.*       the dynamic loader it was linked against
#   lib/*.so.*                every shared library it needs, libc included
#
# Amazon Linux 2023's glibc is older than Debian 12's, so the binary cannot
# use the system's: everything, down to the loader, comes from the zip, and
# no layer is needed.
set -eu

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR OUT_DIR" >&2
  exit 2
fi
build_dir=$1
out_dir=$2

exe=
for cand in "$build_dir/token-validator" \
            "$build_dir/subprojects/token-validator/token-validator"; do
  if [ -x "$cand" ] && [ -f "$cand" ]; then
    exe=$cand
    break
  fi
done
if [ -z "$exe" ]; then
  echo "$0: no token-validator executable in $build_dir (build it first)" >&2
  exit 1
fi

machine=$(LC_ALL=C readelf -h "$exe" | sed -n 's/^ *Machine: *//p')
case $machine in
  *X86-64*) arch=x86_64 ;;
  *AArch64*) arch=aarch64 ;;
  *) echo "$0: unsupported machine: $machine" >&2; exit 1 ;;
esac
interp=$(LC_ALL=C readelf -l "$exe" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
if [ -z "$interp" ]; then
  echo "$0: $exe has no program interpreter" >&2
  exit 1
fi
if [ "$arch" != "$(uname -m)" ]; then
  # ldd cannot inspect a foreign binary; cross packaging would need the
  # target sysroot.
  echo "$0: $exe is $arch, this machine is $(uname -m): not supported" >&2
  exit 1
fi

mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT INT TERM
mkdir "$stage/bin" "$stage/lib"

cp "$exe" "$stage/bin/token-validator"
if command -v strip >/dev/null 2>&1; then
  strip --strip-unneeded "$stage/bin/token-validator"
fi

# Every library the loader resolves, the loader itself included.
libs=$(ldd "$exe" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
if ldd "$exe" | grep -q 'not found'; then
  echo "$0: unresolved libraries:" >&2
  ldd "$exe" | grep 'not found' >&2
  exit 1
fi
for lib in $libs; do
  cp -L "$lib" "$stage/lib/"
done
loader=$(basename "$interp")
cp -L "$interp" "$stage/lib/$loader"
chmod 755 "$stage/lib/$loader"

cat > "$stage/bootstrap" <<SCRIPT
#!/bin/sh
# Lambda runs this as /var/task/bootstrap.  The bundled loader and
# libraries are used instead of the system's (Amazon Linux's glibc is older
# than the one token-validator was built against).  No subshells: this is
# on the cold-start path.
case \$0 in
  */*) here=\${0%/*} ;;
  *) here=. ;;
esac
exec "\$here/lib/$loader" --library-path "\$here/lib" "\$here/bin/token-validator" "\$@"
SCRIPT
chmod 755 "$stage/bootstrap" "$stage/bin/token-validator"

# The package must run without anything from the host's library path.
if ! env -i "$stage/bootstrap" --version >/dev/null; then
  echo "$0: the staged bootstrap does not run" >&2
  exit 1
fi

zip="$out_dir/token-validator-lambda-$arch.zip"
rm -f "$zip"
# Python's zipfile keeps the Unix modes (bootstrap must stay executable)
# and saves a dependency on zip(1).
python3 - "$stage" "$zip" <<'PY'
import os, sys, zipfile
stage, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for root, dirs, files in os.walk(stage):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, stage)
            info = zipfile.ZipInfo(rel, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | (os.stat(path).st_mode & 0o777)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as f:
                z.writestr(info, f.read())
PY
echo "$zip ($(du -k "$zip" | cut -f1) KiB, $(ls "$stage/lib" | wc -l) libraries)"
