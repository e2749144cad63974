# shellcheck shell=bash
# Shared helpers for scripts/setup and scripts/build-web. Source it; it defines functions only
# (and a few variables), it runs nothing.

RAPPU_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RAPPU_CACHE_DIR="${RAPPU_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rappu}"
CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
WASM_TARGET=wasm32-unknown-unknown
# Where Debian's rust-web-src puts the std sources that -Zbuild-std compiles.
DEBIAN_RUST_SRC=/usr/lib/rustlib/src/rust/library

log() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# step "what" cmd args...: runs a command, prints how long it took, returns its status.
# (No `cmd || rc=$?` here: that would switch off `set -e` inside functions run as steps.)
step() {
    local what=$1 start=$SECONDS rc
    shift
    log "==> $what"
    "$@"
    rc=$?
    if [ "$rc" -eq 0 ]; then
        log "    $what: $((SECONDS - start)) s"
    else
        log "    $what: failed (exit $rc) after $((SECONDS - start)) s"
    fi
    return "$rc"
}

# as_root cmd...: runs a command as root, through sudo only when we are not root.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo --preserve-env=DEBIAN_FRONTEND "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

# dpkg_installed pkg: true when the Debian package is installed.
dpkg_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

# version_ge a b: true when version a >= version b (dotted numbers).
version_ge() {
    [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

# The workspace's minimum Rust version (rust-version in the root Cargo.toml).
workspace_rust_version() {
    sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' "$RAPPU_ROOT/Cargo.toml" | head -n1
}

# The version of a package as locked in Cargo.lock.
locked_version() {
    awk -v name="$1" '
        $0 == "name = \"" name "\"" { found = 1; next }
        found && /^version = / { gsub(/"/, "", $3); print $3; exit }
    ' "$RAPPU_ROOT/Cargo.lock"
}

# True when rustup's active toolchain (for this workspace) has the wasm32 std installed.
rustup_has_wasm_target() {
    command -v rustup >/dev/null || return 1
    (cd "$RAPPU_ROOT" && rustup target list --installed 2>/dev/null) | grep -qx "$WASM_TARGET"
}

# The Debian rustc-web toolchain: installed, with std sources, a wasm linker, and new enough.
debian_wasm_toolchain_ok() {
    [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] && [ -d "$DEBIAN_RUST_SRC" ] || return 1
    [ -x /usr/bin/wasm-ld ] || return 1
    local v
    v="$(/usr/bin/rustc --version 2>/dev/null | awk '{print $2}')" || return 1
    version_ge "${v%%-*}" "$(workspace_rust_version)"
}

# Which toolchain builds the wasm, without installing anything: prints rustup or debian, or
# nothing when neither is ready. RAPPU_WASM_TOOLCHAIN=rustup|debian forces the choice.
wasm_toolchain_ready() {
    case "${RAPPU_WASM_TOOLCHAIN:-auto}" in
        rustup) rustup_has_wasm_target && echo rustup ;;
        debian) debian_wasm_toolchain_ok && echo debian ;;
        auto)
            if rustup_has_wasm_target; then echo rustup
            elif debian_wasm_toolchain_ok; then echo debian
            fi ;;
        *) die "RAPPU_WASM_TOOLCHAIN must be rustup, debian or auto (got '$RAPPU_WASM_TOOLCHAIN')" ;;
    esac
}

# wasm_cargo args...: runs cargo for the wasm target with the chosen toolchain. The Debian
# path builds std from source (-Zbuild-std through CARGO_UNSTABLE_BUILD_STD) and links with
# wasm-ld; these variables are set for this one command only, never for host builds.
wasm_cargo() {
    local toolchain=$1
    shift
    case "$toolchain" in
        rustup) cargo "$@" ;;
        debian)
            env -u RUSTUP_TOOLCHAIN -u RUSTC_WRAPPER -u RUSTDOC \
                PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
                CARGO_UNSTABLE_BUILD_STD=std,panic_abort \
                CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld \
                /usr/bin/cargo "$@" ;;
        *) die "unknown wasm toolchain '$toolchain'" ;;
    esac
}

# The wasm-bindgen binary: the one on PATH, else the one cargo install put in CARGO_HOME.
wasm_bindgen_bin() {
    if command -v wasm-bindgen >/dev/null; then command -v wasm-bindgen
    else echo "$CARGO_HOME/bin/wasm-bindgen"
    fi
}

# True when wasm-bindgen is installed at exactly the version Cargo.lock pins.
wasm_bindgen_matches() {
    local bin want
    bin="$(wasm_bindgen_bin)"
    want="$(locked_version wasm-bindgen)"
    [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "wasm-bindgen $want" ]
}

# The stamp that records which package-lock.json node_modules was installed from.
npm_stamp_file() { echo "$RAPPU_ROOT/node_modules/.rappu-package-lock.sha256"; }

# True when node_modules was installed by `npm ci` from the current package-lock.json.
node_modules_current() {
    local stamp
    stamp="$(npm_stamp_file)"
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(sha256sum "$RAPPU_ROOT/package-lock.json" | cut -d' ' -f1)" ]
}
