#!/usr/bin/env bash
# Makes sure libclang is there: feature pg-syntax compiles PostgreSQL's
# parser (libpg_query) and binds it with bindgen, which loads libclang at
# build time. Installed from the distribution's packages when missing and
# this runs as root with apt-get; else says what to install and fails.
set -euo pipefail

have_libclang() {
    [ -n "${LIBCLANG_PATH:-}" ] && return 0
    # clang-sys looks for libclang.so, libclang-N.so and libclang.so.N
    # (libclang-cpp is another library).
    compgen -G '/usr/lib/llvm-*/lib/libclang.so*' >/dev/null ||
        compgen -G '/usr/lib/*/libclang-[0-9]*.so*' >/dev/null ||
        compgen -G '/usr/lib/*/libclang.so*' >/dev/null ||
        compgen -G '/usr/lib64/libclang.so*' >/dev/null
}

have_libclang && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "ci/libclang.sh: installing libclang-dev (feature pg-syntax's bindgen needs libclang)" >&2
    apt-get update -qq && apt-get install -y -qq libclang-dev >/dev/null
else
    echo "ci/libclang.sh: libclang not found; feature pg-syntax needs it to build: install it (Debian/Ubuntu: apt-get install libclang-dev; Fedora: dnf install clang-devel; macOS: xcode-select --install) or set LIBCLANG_PATH" >&2
    exit 1
fi
