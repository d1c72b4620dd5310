# shellcheck shell=bash
# Shared helpers for scripts/*.sh. Source it; do not execute it.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# After sourcing: the working directory is the repo root ($ROOT), the
# project-local tool dir ($TOOLS_BIN) is first on PATH, and the helpers below
# are defined.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
cd "$ROOT"

TOOLS_DIR="$ROOT/.tools"
TOOLS_BIN="$TOOLS_DIR/bin"
export TOOLS_DIR TOOLS_BIN
case ":$PATH:" in
  *":$TOOLS_BIN:"*) ;;
  *) export PATH="$TOOLS_BIN:$PATH" ;;
esac

# Pinned tool versions (bump here only).
STATICCHECK_VERSION="${STATICCHECK_VERSION:-v0.8.2}" # staticcheck 2026.2.2, needs Go >= 1.26

# ---------------------------------------------------------------- output

if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
  _c_bold=$'\e[1m'; _c_red=$'\e[31m'; _c_yel=$'\e[33m'; _c_grn=$'\e[32m'; _c_off=$'\e[0m'
else
  _c_bold=''; _c_red=''; _c_yel=''; _c_grn=''; _c_off=''
fi

log()   { printf '%s\n' "$*"; }
info()  { printf '%s==> %s%s\n' "$_c_bold" "$*" "$_c_off"; }
ok()    { printf '%s  ok: %s%s\n' "$_c_grn" "$*" "$_c_off"; }
warn()  { printf '%swarning: %s%s\n' "$_c_yel" "$*" "$_c_off" >&2; }
die()   { printf '%serror: %s%s\n' "$_c_red" "$*" "$_c_off" >&2; exit 1; }

# run CMD...: echo the command, then run it.
run() { printf '+ %s\n' "$*"; "$@"; }

is_ci() { [[ "${CI:-}" == "true" || "${CI:-}" == "1" ]]; }

# ---------------------------------------------------------------- tools

# require_tool NAME [HINT]: succeeds when NAME is on PATH. When it is missing:
# under CI this is fatal (nothing may be skipped silently there); locally it
# prints a warning and returns 1 so the caller can skip that step.
require_tool() {
  local name="$1" hint="${2:-}"
  if command -v "$name" >/dev/null 2>&1; then
    return 0
  fi
  if is_ci; then
    die "required tool '$name' not found${hint:+ ($hint)}"
  fi
  warn "'$name' not found${hint:+ ($hint)}; skipping this step (would fail under CI=true)"
  return 1
}

# require_node20 WHY: node (>= 20) and npm must be there, for WHY. When one is missing,
# or node is older: under CI this is fatal; locally the step is skipped.
require_node20() {
  local why="$1"
  require_tool node "Node >= 20: $why" || skip "node not found"
  require_tool npm "npm: $why" || skip "npm not found"
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if ((major < 20)); then
    is_ci && die "Node >= 20 needed, found $(node --version)"
    skip "Node >= 20 needed, found $(node --version)"
  fi
}

# require_chromium: sets and exports CHROMIUM (default Debian's /usr/bin/chromium,
# installed with apt when missing) and fails when there is no browser there.
require_chromium() {
  CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
  export CHROMIUM
  [[ "$CHROMIUM" != /usr/bin/chromium ]] || need_apt_pkg chromium /usr/bin/chromium
  [[ -x "$CHROMIUM" ]] || die "no browser at $CHROMIUM"
}

_APT_UPDATED=0
# need_apt_pkg PKG PATH_OR_CMD: installs Debian package PKG with apt-get
# unless PATH_OR_CMD (an absolute file path or a command name) already exists.
# Runs `apt-get update` once per process, and only if an install is needed.
#   need_apt_pkg chromium /usr/bin/chromium
#   need_apt_pkg redis-server redis-server
need_apt_pkg() {
  local pkg="$1" probe="$2"
  if [[ "$probe" == /* ]]; then
    [[ -e "$probe" ]] && return 0
  else
    command -v "$probe" >/dev/null 2>&1 && return 0
  fi
  command -v apt-get >/dev/null 2>&1 || die "need Debian package '$pkg' ($probe missing) but apt-get is not available"
  local sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "need Debian package '$pkg' but not root and no sudo"
    sudo=(sudo)
  fi
  info "installing Debian package $pkg (for $probe)"
  if [[ "$_APT_UPDATED" == 0 ]]; then
    run "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    _APT_UPDATED=1
  fi
  run "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg"
}

# go_install_pinned BIN PKG@VERSION: installs a Go tool
# into $TOOLS_BIN unless a binary built from that module version with the
# current Go toolchain is already there.
go_install_pinned() {
  local bin="$1" spec="$2"
  local want_ver="${spec##*@}"
  local path="$TOOLS_BIN/$bin" have
  if [[ -x "$path" ]]; then
    have="$(go version -m "$path" 2>/dev/null || true)"
    # First line: "<path>: go1.26.8"; then "mod <module> <version> <sum>".
    if [[ "$(head -n1 <<<"$have")" == *": $(go env GOVERSION)" ]] &&
       grep -Eq "^[[:space:]]+mod[[:space:]]+[^[:space:]]+[[:space:]]+${want_ver//./\\.}([[:space:]]|$)" <<<"$have"; then
      return 0
    fi
  fi
  mkdir -p "$TOOLS_BIN"
  info "installing $bin ($spec) into ${TOOLS_BIN#"$ROOT"/}"
  # Build for the host even if the caller exported GOOS/GOARCH.
  run env -u GOOS -u GOARCH GOBIN="$TOOLS_BIN" go install "$spec"
}

# ---------------------------------------------------------------- go modules

# go_files: every .go file in the repo that gofmt should check (testdata/ is
# left out: it may hold deliberately odd Go source).
go_files() {
  find . \( -name .git -o -name node_modules -o -name .tools -o -name testdata -o -path ./web/dist \) -prune \
    -o -type f -name '*.go' -print
}

# nested_modules: directories (relative, e.g. internal/bench) of every Go
# module in the repo other than the root one. testdata/ and vendor/ are skipped
# (the go command ignores them too).
nested_modules() {
  find . \( -name .git -o -name node_modules -o -name .tools -o -name testdata -o -name vendor \) -prune \
    -o -type f -name go.mod -print |
    sed -e 's|^\./||' -e 's|/\{0,1\}go\.mod$||' | grep -v '^$' | LC_ALL=C sort || true
}

# go_pkgs [GOOS GOARCH]: import paths of the packages of the current module
# that build for that platform (default: the host). A package is left out when
# it, or a package it imports, has no Go files for that platform ("build
# constraints exclude all Go files"); the left-out ones are reported on stderr.
# Packages with any other load error (a syntax error, a missing import) stay
# in the list, so the go command that gets it fails loudly instead of the
# package being skipped.
go_pkgs() { _go_pkgs_filtered all "$@"; }

# go_test_pkgs [GOOS GOARCH]: like go_pkgs, limited to packages with tests.
go_test_pkgs() { _go_pkgs_filtered tests "$@"; }

_go_pkgs_filtered() {
  local which="$1" goos="${2:-}" goarch="${3:-}"
  local -a envs=()
  [[ -n "$goos" ]] && envs+=("GOOS=$goos" "GOARCH=$goarch")
  local tmpl='{{.ImportPath}}{{"\t"}}{{if or .TestGoFiles .XTestGoFiles}}T{{else}}-{{end}}{{"\t"}}'
  tmpl+='{{with .Error}}{{printf "%q" .Err}}{{end}}{{range .DepsErrors}}{{printf "%q" .Err}}{{end}}'
  local out path hastests errs
  out="$(env "${envs[@]}" go list -e -f "$tmpl" ./...)" || return 1
  while IFS=$'\t' read -r path hastests errs; do
    [[ -n "$path" ]] || continue
    if [[ "$errs" == *"build constraints exclude all Go files"* ]]; then
      [[ -n "$goos" ]] && printf '  (not built for %s/%s: %s)\n' "$goos" "$goarch" "$path" >&2
      continue
    fi
    [[ "$which" == tests && "$hastests" != T ]] && continue
    printf '%s\n' "$path"
  done <<<"$out"
}

# wasm_exec_dir: directory holding go_js_wasm_exec for this toolchain.
wasm_exec_dir() {
  local d
  d="$(go env GOROOT)/lib/wasm"
  [[ -x "$d/go_js_wasm_exec" ]] || d="$(go env GOROOT)/misc/wasm" # Go < 1.24 layout
  printf '%s\n' "$d"
}

# skip REASON: end this script as "skipped". Under scripts/test.sh that shows
# as "skipped" in the summary (exit code 75); run on its own it exits 0.
# Use it only for steps that legitimately do not apply (e.g. a module that
# does not exist yet); a missing tool goes through require_tool, which is
# fatal under CI.
skip() {
  warn "skipped: $*"
  if [[ "${POLYSSE_IN_TEST_SH:-}" == 1 ]]; then exit 75; fi
  exit 0
}
