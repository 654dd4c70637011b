#!/usr/bin/env bash
# The project's copy of the recipe in shared/embedded (CI needs nothing from outside the
# repository). Used by .ci/run for examples/firmware.rs.
#
# check-embedded.sh — build a no_std firmware binary/example for a Cortex-M4F
# (thumbv7em-none-eabihf) with Debian's own Rust toolchain and run it under
# QEMU (machine mps2-an386), exiting non-zero if anything fails.
#
# Usage:
#   check-embedded.sh CRATE_DIR NAME [extra cargo build args...]
#
#   CRATE_DIR  directory of the cargo package that holds the firmware
#   NAME       its binary or example name (an example if CRATE_DIR/examples/NAME.rs
#              or CRATE_DIR/examples/NAME/main.rs exists, otherwise a binary;
#              force with KIND=bin|example)
#
# The firmware is expected to use cortex-m-rt (vector table + link.x) and to
# finish by calling semihosting exit: cortex_m_semihosting::debug::exit(EXIT_SUCCESS)
# makes QEMU exit 0, EXIT_FAILURE makes it exit 1. Text printed with hprintln!
# appears on this script's stdout. A firmware that never exits is killed after
# TIMEOUT seconds and counts as a failure.
#
# Environment knobs (all optional):
#   TIMEOUT=60            seconds QEMU may run
#   QEMU_MACHINE=mps2-an386   (mps2-an500 = Cortex-M7 also runs thumbv7em code)
#   TARGET=thumbv7em-none-eabihf
#   PROFILE=release       cargo profile
#   KIND=auto|bin|example
#   FEATURES="a b"        passed as --features
#   MEMORY_X=path         linker memory map; default CRATE_DIR/memory.x if present,
#                         else a generated one for mps2-an386 (4M code at 0x0,
#                         4M RAM at 0x20000000)
#   LINK_X=1              pass -Tlink.x (cortex-m-rt's script); set 0 if the crate's
#                         own build.rs / .cargo/config.toml already does it
#   EXTRA_RUSTFLAGS=""    appended to the target rustflags
#   OUTPUT=path           also save QEMU's output there
#   GOLDEN=path           fail unless QEMU's output equals this file exactly
#   SKIP_INSTALL=1        do not touch apt at all
#   SIZE_FILTER=regex     symbols listed in the size report (default: all but
#                         core, compiler_builtins and the cortex-m runtime)
#   QEMU_EXTRA="..."      more QEMU arguments (e.g. "-icount shift=0")
#   ELF_OUT=path          write the built ELF's path there
#
# What it installs (Debian's packages, idempotent; 'apt-get update' at most once):
#   rustc-web cargo-web rust-web-src rust-web-llvm  (Rust 1.96 + matching std source)
#   lld-NN            (rust-web-llvm's rust-lld is a symlink to lld-NN but does not
#                      depend on it; NN is read off the symlink)
#   qemu-system-arm   (QEMU 7.2, has mps2-an386 / mps2-an500)
set -euo pipefail

die() { echo "check-embedded: error: $*" >&2; exit 2; }
log() { echo "check-embedded: $*" >&2; }

[ $# -ge 2 ] || { sed -n '2,40p' "$0" >&2; exit 2; }
CRATE_DIR=$(cd "$1" && pwd) || die "no such directory: $1"
NAME=$2
shift 2

TIMEOUT=${TIMEOUT:-60}
QEMU_MACHINE=${QEMU_MACHINE:-mps2-an386}
TARGET=${TARGET:-thumbv7em-none-eabihf}
PROFILE=${PROFILE:-release}
KIND=${KIND:-auto}
LINK_X=${LINK_X:-1}

# ---------------------------------------------------------------------------
# 1. Install what is missing (Debian's packages only).
# ---------------------------------------------------------------------------
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then
    SUDO="sudo"
fi
APT_UPDATED=0
apt_install() {   # apt_install PKG... — installs only the ones not installed yet
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$APT_UPDATED" = 0 ]; then
        log "apt-get update"
        $SUDO apt-get update -qq
        APT_UPDATED=1
    fi
    log "apt-get install ${missing[*]}"
    $SUDO env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Where a Debian package put one of its programs (no hard-coded paths):
# deb_bin PACKAGE PROGRAM  ->  e.g. the system bin dir's rustc for rustc-web.
deb_bin() { dpkg -L "$1" 2>/dev/null | grep -E "^/[^/]+/bin/$2\$|^/[^/]+/[^/]+/bin/$2\$" | head -1; }

if [ "${SKIP_INSTALL:-0}" != 1 ]; then
    t_install=$(date +%s)
    # Installing Debian's qemu-system-arm 7.2 removes a newer qemu-utils (qemu-img)
    # that came from elsewhere (e.g. backports); put Debian's back if so.
    had_qemu_img=0; command -v qemu-img >/dev/null && had_qemu_img=1
    apt_install rustc-web cargo-web rust-web-src rust-web-llvm qemu-system-arm
    # rust-web-llvm ships rust-lld as a symlink to lld-NN but does not depend on
    # it: install the package the symlink names.
    lld_link=$(deb_bin rust-web-llvm rust-lld)
    if [ -n "$lld_link" ] && [ ! -e "$lld_link" ]; then
        apt_install "$(basename "$(readlink "$lld_link")")"      # e.g. lld-22
    fi
    if [ "$had_qemu_img" = 1 ] && ! command -v qemu-img >/dev/null; then
        apt_install qemu-utils
    fi
    if [ "$APT_UPDATED" = 1 ]; then
        log "packages installed in $(( $(date +%s) - t_install ))s"
    fi
fi

# ---------------------------------------------------------------------------
# 2. Use Debian's toolchain, not rustup's proxies (rustup's toolchains here have
#    no thumbv7em std and no rust-src, and cannot download them). Debian's rustc
#    reports the system prefix as its sysroot, and rust-web-src puts the std source where
#    -Zbuild-std looks for it (<sysroot>/lib/rustlib/src/rust/library), so no
#    __CARGO_TESTS_ONLY_SRC_ROOT or other override is needed.
# ---------------------------------------------------------------------------
RUSTC=$(deb_bin rustc-web rustc)
RUSTDOC=$(deb_bin rustc-web rustdoc)
CARGO=$(deb_bin cargo-web cargo)
[ -n "$RUSTC" ] && [ -x "$RUSTC" ] && [ -n "$CARGO" ] && [ -x "$CARGO" ] \
    || die "Debian's rustc/cargo missing (packages rustc-web, cargo-web)"
export RUSTC RUSTDOC
DEB_BINDIR=$(dirname "$RUSTC")
export PATH="$DEB_BINDIR:$PATH"               # Debian's rust-lld and llvm tools first
unset RUSTUP_TOOLCHAIN RUSTC_WRAPPER 2>/dev/null || true
SYSROOT=$("$RUSTC" --print sysroot)
[ -d "$SYSROOT/lib/rustlib/src/rust/library/core" ] \
    || die "std source not found under $SYSROOT/lib/rustlib/src/rust/library (package rust-web-src)"
rustc_ver=$(dpkg-query -W -f='${Version}' rustc-web 2>/dev/null || true)
src_ver=$(dpkg-query -W -f='${Version}' rust-web-src 2>/dev/null || true)
[ "$rustc_ver" = "$src_ver" ] \
    || die "rustc-web ($rustc_ver) and rust-web-src ($src_ver) differ: build-std needs the exact same version"
command -v rust-lld >/dev/null && [ -e "$(command -v rust-lld)" ] \
    || die "rust-lld not usable (install the lld-NN package its symlink points at)"
command -v qemu-system-arm >/dev/null || die "qemu-system-arm missing"
LLVM_MAJOR=$("$RUSTC" -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
log "$("$RUSTC" -V), $("$CARGO" -V | cut -d' ' -f1-2), LLVM $LLVM_MAJOR, $(qemu-system-arm --version | head -1)"

# ---------------------------------------------------------------------------
# 3. Build with -Zbuild-std=core (RUSTC_BOOTSTRAP=1 unlocks -Z on a stable rustc).
# ---------------------------------------------------------------------------
if [ "$KIND" = auto ]; then
    if [ -f "$CRATE_DIR/examples/$NAME.rs" ] || [ -f "$CRATE_DIR/examples/$NAME/main.rs" ]; then
        KIND=example
    else
        KIND=bin
    fi
fi

# Memory map: the crate's own memory.x, or a default one for mps2-an386/an500.
# It is copied to a folder named after its hash inside the target dir: the path
# ends up in RUSTFLAGS, so it must be stable (a random temp dir would make cargo
# rebuild everything, core included, on every run) and must change when the
# map changes (cargo does not track memory.x itself).
memx=$(mktemp)
if [ -n "${MEMORY_X:-}" ]; then
    cp "$MEMORY_X" "$memx"
elif [ -f "$CRATE_DIR/memory.x" ]; then
    cp "$CRATE_DIR/memory.x" "$memx"
else
    cat > "$memx" <<'EOF'
/* QEMU mps2-an386 / mps2-an500: ZBT SSRAM1 (code) at 0x0, SSRAM2/3 (data) at 0x20000000 */
MEMORY
{
  FLASH : ORIGIN = 0x00000000, LENGTH = 4M
  RAM   : ORIGIN = 0x20000000, LENGTH = 4M
}
EOF
fi
TARGET_DIR=$(cd "$CRATE_DIR" && "$CARGO" metadata --format-version 1 --no-deps 2>/dev/null \
             | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
[ -n "$TARGET_DIR" ] || die "cargo metadata failed in $CRATE_DIR"
LINKDIR="$TARGET_DIR/check-embedded/memory-$(sha256sum "$memx" | cut -c1-12)"
mkdir -p "$LINKDIR"
mv "$memx" "$LINKDIR/memory.x"

# RUSTFLAGS / CARGO_ENCODED_RUSTFLAGS would override the per-target flags below
# (and host flags such as -C target-cpu=native would break a thumb build).
if [ -n "${RUSTFLAGS:-}${CARGO_ENCODED_RUSTFLAGS:-}" ]; then
    log "ignoring RUSTFLAGS/CARGO_ENCODED_RUSTFLAGS for the firmware build (use EXTRA_RUSTFLAGS)"
fi
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
flags="-C link-arg=--nmagic -C link-arg=-L$LINKDIR"
[ "$LINK_X" = 1 ] && flags="$flags -C link-arg=-Tlink.x"
flags="$flags ${EXTRA_RUSTFLAGS:-}"
target_var="CARGO_TARGET_$(echo "$TARGET" | tr 'a-z-' 'A-Z_')_RUSTFLAGS"
export "$target_var=$flags"

build_args=(build --profile "$PROFILE" -Zbuild-std=core --target "$TARGET" "--$KIND" "$NAME")
[ -n "${FEATURES:-}" ] && build_args+=(--features "$FEATURES")
build_args+=("$@")

log "building $KIND '$NAME' in $CRATE_DIR for $TARGET"
t0=$(date +%s)
msgs=$(mktemp)
( cd "$CRATE_DIR" && RUSTC_BOOTSTRAP=1 "$CARGO" "${build_args[@]}" \
      --message-format=json-render-diagnostics ) > "$msgs" \
    || { rm -f "$msgs"; echo "check-embedded: BUILD FAILED" >&2; exit 1; }
ELF=$(grep '"reason":"compiler-artifact"' "$msgs" \
      | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
rm -f "$msgs"
[ -n "$ELF" ] && [ -f "$ELF" ] || die "build produced no executable for $KIND '$NAME'"
log "built in $(( $(date +%s) - t0 ))s: $ELF"
[ -n "${ELF_OUT:-}" ] && echo "$ELF" > "$ELF_OUT"

# ---------------------------------------------------------------------------
# 4. Size report (llvm tools of the same LLVM as rustc, from llvm-NN).
# ---------------------------------------------------------------------------
SIZE=$(command -v "llvm-size-$LLVM_MAJOR" || command -v llvm-size || true)
NM=$(command -v "llvm-nm-$LLVM_MAJOR" || command -v llvm-nm || true)
if [ -n "$SIZE" ]; then
    "$SIZE" -A "$ELF" | grep -E '^(section|\.vector_table|\.text|\.rodata|\.data|\.bss) ' >&2 || true
fi
if [ -n "$NM" ]; then
    # Default: everything that is not core/compiler_builtins/cortex-m runtime,
    # i.e. your crate and its numeric dependencies (libm, rand_*, wide).
    log "largest symbols outside core/compiler_builtins/cortex-m (bytes):"
    "$NM" --size-sort --demangle -S "$ELF" \
        | if [ -n "${SIZE_FILTER:-}" ]; then grep -E "$SIZE_FILTER"; \
          else grep -vE 'core::|compiler_builtins|cortex_m(_rt|_semihosting)?::|critical_section| (\.L)?anon\.| (Reset|__[A-Za-z0-9_:]*)$'; fi \
        | grep -v '^[0-9a-f]* 00000000 ' | tail -15 \
        | while read -r _addr sz _t sym; do printf '  %6d %s\n' "$((16#$sz))" "$sym"; done >&2 || true
fi

# ---------------------------------------------------------------------------
# 5. Run under QEMU with semihosting; QEMU's exit code is the firmware's verdict.
#    (Do not pipe QEMU into `head`: a closed pipe can leave it running.)
# ---------------------------------------------------------------------------
out=$(mktemp)
log "running: qemu-system-arm -M $QEMU_MACHINE -nographic -semihosting-config enable=on,target=native -kernel $(basename "$ELF") (timeout ${TIMEOUT}s)"
t_run=$(date +%s)
set +e
# shellcheck disable=SC2086 # QEMU_EXTRA is a list of arguments
timeout -k 5 "$TIMEOUT" qemu-system-arm -M "$QEMU_MACHINE" -nographic ${QEMU_EXTRA:-} \
    -semihosting-config enable=on,target=native -kernel "$ELF" < /dev/null > "$out" 2>&1
rc=$?
set -e
cat "$out"
log "QEMU finished in $(( $(date +%s) - t_run ))s with status $rc"
[ -n "${OUTPUT:-}" ] && cp "$out" "$OUTPUT"
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    rm -f "$out"
    echo "check-embedded: FAILED: QEMU timed out after ${TIMEOUT}s (firmware never called semihosting exit?)" >&2
    exit 1
elif [ "$rc" != 0 ]; then
    rm -f "$out"
    echo "check-embedded: FAILED: firmware exited with status $rc" >&2
    exit 1
fi
if [ -n "${GOLDEN:-}" ]; then
    if ! diff -u "$GOLDEN" "$out" >&2; then
        rm -f "$out"
        echo "check-embedded: FAILED: output differs from $GOLDEN" >&2
        exit 1
    fi
    log "output matches $GOLDEN"
fi
rm -f "$out"
echo "check-embedded: OK ($KIND '$NAME' on $QEMU_MACHINE)" >&2
