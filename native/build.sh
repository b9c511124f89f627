#!/usr/bin/env bash
# Builds libzerocopy_jni.so for every platform the jar carries and lays them out as the jar
# wants them: OUT/META-INF/native/linux-<arch>/libzerocopy_jni.so.
#
#   native/build.sh OUT            linux-x86_64 and linux-aarch64, linked against glibc 2.17
#                                  (cargo zigbuild; zig from PyPI's ziglang; see .ci/setup)
#   native/build.sh --host OUT     this machine's platform only, plain `cargo build` (no zig;
#                                  the .so then needs this machine's glibc)
#
# Then checks each file with native/check-so.sh (ELF machine, glibc 2.17 ceiling).
set -euo pipefail
cd "$(dirname "$0")/.."
# cargo-zigbuild and zig as .ci/setup installs them (a venv), or anywhere on PATH.
export PATH="$HOME/.cargo/bin:${ZEROCOPY_TOOLS:-$HOME/.cache/zerocopy}/venv/bin:$PATH"

host_only=0
if [ "${1:-}" = "--host" ]; then
    host_only=1
    shift
fi
out=${1:?usage: native/build.sh [--host] OUT}
lib=libzerocopy_jni.so
glibc=2.17
# Rust target triple -> the jar's platform directory (NativeLibrary.platform()).
declare -A platforms=([x86_64-unknown-linux-gnu]=linux-x86_64 [aarch64-unknown-linux-gnu]=linux-aarch64)

rm -rf "$out/META-INF/native"
if [ "$host_only" = 1 ]; then
    arch=$(uname -m)
    cargo build --release --lib
    mkdir -p "$out/META-INF/native/linux-$arch"
    cp "target/release/$lib" "$out/META-INF/native/linux-$arch/$lib"
    bash native/check-so.sh --any-glibc "$out/META-INF/native/linux-$arch/$lib" "linux-$arch"
    exit 0
fi

if ! cargo zigbuild --help >/dev/null 2>&1; then
    echo "native/build.sh: cargo-zigbuild is missing: run .ci/setup (pip install cargo-zigbuild ziglang," \
        "rustup target add aarch64-unknown-linux-gnu), or build for this" \
        "machine only with gradle -Pnative.hostOnly=true" >&2
    exit 1
fi
for triple in "${!platforms[@]}"; do
    cargo zigbuild --release --lib --target "$triple.$glibc"
    dir="$out/META-INF/native/${platforms[$triple]}"
    mkdir -p "$dir"
    cp "target/$triple/release/$lib" "$dir/$lib"
    bash native/check-so.sh "$dir/$lib" "${platforms[$triple]}"
done
