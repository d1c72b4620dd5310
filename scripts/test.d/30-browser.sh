#!/usr/bin/env bash
# Browser (Chromium via playwright-core) and Node tests of the JavaScript side: see
# scripts/test-browser.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/../test-browser.sh" "$@"
