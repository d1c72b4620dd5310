#!/usr/bin/env bash
# Short fuzz run of every Fuzz target in the root module and the nested modules whose
# targets fuzz our own parsers (redis; not internal/bench, which measures peers), found
# with `go test -list '^Fuzz'`. Each target runs for $FUZZTIME (default 20s).
#   FUZZTIME=2m make fuzz
#   FUZZ=Parse make fuzz       # only targets whose name matches this regexp
# A failing input is written to the package's testdata/fuzz/<Target>/ by the
# go command: commit it, it then runs as a regular test case.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FUZZTIME="${FUZZTIME:-20s}"

declare -a failed=()
n=0
# fuzz_module: every Fuzz target of the module in the current directory.
fuzz_module() {
  local list pkg listing targets t
  list="$(go_test_pkgs)"
  mapfile -t pkgs < <(grep -v '^$' <<<"$list" || true)
  for pkg in "${pkgs[@]}"; do
    if ! listing="$(go test -list '^Fuzz' "$pkg")"; then
      failed+=("$pkg (go test -list)")
      continue
    fi
    targets="$(grep -E '^Fuzz' <<<"$listing" || true)"
    while IFS= read -r t; do
      [[ -n "$t" ]] || continue
      if [[ -n "${FUZZ:-}" ]] && ! grep -Eq -- "$FUZZ" <<<"$t"; then continue; fi
      n=$((n + 1))
      info "fuzz: $pkg $t ($FUZZTIME)"
      if ! run go test -run '^$' -fuzz "^${t}\$" -fuzztime "$FUZZTIME" "$pkg"; then
        failed+=("$pkg $t")
      fi
    done <<<"$targets"
  done
}

fuzz_module
while IFS= read -r mod; do
  [[ -n "$mod" && "$mod" != internal/bench ]] || continue
  pushd "$ROOT/$mod" >/dev/null
  fuzz_module
  popd >/dev/null
done <<<"$(nested_modules)"

if ((n == 0)); then
  log "fuzz: no Fuzz targets found${FUZZ:+ matching '$FUZZ'}"
  exit 0
fi
if ((${#failed[@]})); then
  printf '  failed: %s\n' "${failed[@]}" >&2
  die "fuzz: ${#failed[@]} of $n targets failed (see testdata/fuzz/ for the inputs)"
fi
ok "fuzz: $n targets, $FUZZTIME each"
