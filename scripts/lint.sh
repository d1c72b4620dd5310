#!/usr/bin/env bash
# Lint: gofmt (whole repo), then go vet + staticcheck for the root module
# natively and for GOOS=js GOARCH=wasm, and natively for every nested module
# (any other go.mod in the tree, e.g. internal/bench).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ "${TOOLS_CHECKED:-}" == 1 ]] || bash "$ROOT/scripts/tools.sh"
require_tool staticcheck "run: make tools" || exit 1

fail=0

# ---- gofmt
info "lint: gofmt"
mapfile -t files < <(go_files)
if ((${#files[@]})); then
  gofmt_rc=0
  unformatted="$(gofmt -l "${files[@]}")" || gofmt_rc=$?
  if ((gofmt_rc)); then
    warn "gofmt failed (syntax error?)"
    fail=1
  elif [[ -n "$unformatted" ]]; then
    printf '%s\n' "$unformatted" | sed 's/^/  not gofmt-ed: /' >&2
    warn "fix with: gofmt -w <file>"
    fail=1
  else
    ok "gofmt (${#files[@]} files)"
  fi
else
  log "  no Go files"
fi

# vet_and_check LABEL [GOOS GOARCH]: vet + staticcheck for the module in the
# current directory. Returns non-zero if either fails.
vet_and_check() {
  local label="$1" goos="${2:-}" goarch="${3:-}" list rc=0
  local -a pkgs envs=()
  [[ -n "$goos" ]] && envs=("GOOS=$goos" "GOARCH=$goarch")
  list="$(go_pkgs "$goos" "$goarch")" || { warn "go list failed ($label)"; return 1; }
  mapfile -t pkgs < <(grep -v '^$' <<<"$list" || true)
  if ((${#pkgs[@]} == 0)); then
    log "  $label: no packages"
    return 0
  fi
  info "lint: go vet ($label, ${#pkgs[@]} packages)"
  if env "${envs[@]}" go vet "${pkgs[@]}"; then ok "go vet ($label)"; else rc=1; fi
  info "lint: staticcheck ($label)"
  if env "${envs[@]}" staticcheck "${pkgs[@]}"; then ok "staticcheck ($label)"; else rc=1; fi
  return "$rc"
}

host="$(go env GOOS)/$(go env GOARCH)"
vet_and_check "root module, $host" || fail=1
vet_and_check "root module, js/wasm" js wasm || fail=1

mods="$(nested_modules)"
while IFS= read -r mod; do
  [[ -n "$mod" ]] || continue
  (cd "$ROOT/$mod" && vet_and_check "module $mod, $host") || fail=1
done <<<"$mods"

if ((fail)); then
  die "lint failed"
fi
ok "lint"
