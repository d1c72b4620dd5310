#!/usr/bin/env bash
# Everything: tools -> lint -> native tests (race) -> js/wasm tests (node)
# -> every scripts/test.d/*.sh in sorted order. Stops at the first failing
# stage and always prints a summary.
#
# Hooks: drop an executable-or-not bash script into scripts/test.d/, named
# NN-name.sh (NN orders them). It may `source "$(dirname
# "${BASH_SOURCE[0]}")/../lib.sh"` for the helpers; exit non-zero to fail, or
# call `skip "reason"` when it does not apply. Under CI=true a missing tool
# must fail (use require_tool / need_apt_pkg), never skip.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export POLYSSE_IN_TEST_SH=1

declare -a S_NAME=() S_RESULT=() S_TIME=()
T0=$SECONDS
CURRENT=""

summary() {
  local rc=$? i
  set +e
  if [[ -n "$CURRENT" ]]; then # interrupted mid-stage
    S_NAME+=("$CURRENT"); S_RESULT+=("FAILED"); S_TIME+=("-")
  fi
  printf '\n%s==== make test summary ====%s\n' "$_c_bold" "$_c_off"
  for i in "${!S_NAME[@]}"; do
    printf '  %-8s %-28s %s\n' "${S_RESULT[$i]}" "${S_NAME[$i]}" "${S_TIME[$i]}"
  done
  local elapsed=$((SECONDS - T0))
  if ((rc == 0)); then
    printf '%sALL STAGES OK%s (%ss, CI=%s)\n' "$_c_grn" "$_c_off" "$elapsed" "${CI:-}"
  else
    printf '%sTEST RUN FAILED%s (exit %s, %ss)\n' "$_c_red" "$_c_off" "$rc" "$elapsed"
  fi
  exit "$rc"
}
trap summary EXIT

# stage NAME SCRIPT [ARGS...]
stage() {
  local name="$1" t rc=0
  shift
  CURRENT="$name"
  printf '\n%s######## stage: %s ########%s\n' "$_c_bold" "$name" "$_c_off"
  t=$SECONDS
  bash "$@" || rc=$?
  CURRENT=""
  S_NAME+=("$name"); S_TIME+=("$((SECONDS - t))s")
  case "$rc" in
    0)  S_RESULT+=("ok") ;;
    75) S_RESULT+=("skipped") ;;
    *)  S_RESULT+=("FAILED"); exit "$rc" ;;
  esac
}

stage tools     scripts/tools.sh
export TOOLS_CHECKED=1
stage lint      scripts/lint.sh
stage test-go   scripts/test-go.sh
stage test-wasm scripts/test-wasm.sh

shopt -s nullglob
hooks=()
while IFS= read -r f; do hooks+=("$f"); done < <(printf '%s\n' scripts/test.d/*.sh | LC_ALL=C sort)
for f in "${hooks[@]}"; do
  [[ -n "$f" ]] || continue
  stage "test.d/$(basename "$f" .sh)" "$f"
done
