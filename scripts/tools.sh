#!/usr/bin/env bash
# Installs the tools the other scripts need. Idempotent and cheap when
# everything is already there: run it as often as you like.
#
# Go tools go to .tools/bin (gitignored); scripts that source lib.sh put that
# directory first on PATH. System packages come from Debian via need_apt_pkg
# (lib.sh), which runs apt-get only when something is missing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_tool go "the Go toolchain must be installed" || exit 1

go_install_pinned staticcheck "honnef.co/go/tools/cmd/staticcheck@${STATICCHECK_VERSION}"

# Node runs the js/wasm tests (go_js_wasm_exec). It is part of the machine
# image; installing it is not this script's business, but say so early.
if ! command -v node >/dev/null 2>&1; then
  if is_ci; then die "node not found: needed for the js/wasm tests"; fi
  warn "node not found: the js/wasm tests will be skipped"
fi

# System packages for later stages go here, e.g.:
#   need_apt_pkg chromium /usr/bin/chromium

# redis-server for the tests of the redis module and its benchmarks (they start
# their own servers; a system one that the package may start is left alone).
# Without apt (not Debian) this is fatal only under CI; locally those tests skip.
(need_apt_pkg redis-server redis-server) || { is_ci && exit 1; warn "no redis-server: the Redis tests will skip"; }

ok "tools: staticcheck $("$TOOLS_BIN/staticcheck" -version 2>/dev/null | head -n1), $(go env GOVERSION), node $(node --version 2>/dev/null || echo missing)"
