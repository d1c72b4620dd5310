# Thin wrappers around scripts/*.sh; the scripts hold the logic and can be run
# directly too (bash scripts/NAME.sh). `make` alone prints this help.

SHELL := /usr/bin/env bash
.DEFAULT_GOAL := help

# Extra arguments for `make demo`, e.g. make demo ARGS="-addr 127.0.0.1:9000".
ARGS ?=

.PHONY: help test lint test-go test-wasm bench bench-browser wasm pack demo fuzz tools

help: ## Show this help
	@printf 'Usage: make <target>\n\nTargets:\n'
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN { FS = ":.*## " } { printf "  %-14s %s\n", $$1, $$2 }'
	@printf '\nVariables: COUNT, BENCH, BENCH_OUT (bench); ROUNDS, RECORD, PROFILE (bench-browser); FUZZTIME, FUZZ (fuzz); ARGS (demo); CI=true (nothing may be skipped)\n'

test: ## Everything: tools, lint, native race tests, js/wasm tests under node, scripts/test.d/*.sh
	@bash scripts/test.sh

lint: ## gofmt check; go vet + staticcheck natively, for js/wasm, and in nested modules
	@bash scripts/lint.sh

test-go: ## Native tests of the root module with -race
	@bash scripts/test-go.sh

test-wasm: ## js/wasm tests of the root module, run under node
	@bash scripts/test-wasm.sh

bench: ## Benchmarks vs peers in internal/bench (COUNT=n, BENCH=regexp)
	@bash scripts/bench.sh

bench-browser: ## Browser throughput: native vs polysse vs JS polyfills in headless Chromium (ROUNDS=n, RECORD=1)
	@bash scripts/bench-browser.sh

wasm: ## Build web/dist (polysse.wasm and .gz/.br, wasm_exec.js and its licence, JS loaders) and print sizes
	@bash scripts/wasm.sh

pack: ## Build the npm package (build/npm/polysse-VERSION.tgz) from a clean web/dist and check it
	@bash scripts/pack.sh

demo: ## Build and run the demo on 127.0.0.1, printing progress (ARGS="-addr 127.0.0.1:9000"); Ctrl-C stops it
	@bash scripts/demo.sh $(ARGS)

fuzz: ## Short run of every Fuzz target (FUZZTIME=20s each, FUZZ=regexp)
	@bash scripts/fuzz.sh

tools: ## Install pinned tools (staticcheck into .tools/bin)
	@bash scripts/tools.sh

.PHONY: test-browser
test-browser: ## Browser (Chromium) and Node tests of the JS side: web/test, node --test (scripts/test-browser.sh)
	@bash scripts/test-browser.sh

.PHONY: test-redis
test-redis: ## Tests of the redis module (race) against redis-server processes they start; installs redis-server if missing
	@bash scripts/test.d/20-redis.sh

.PHONY: chaos
chaos: ## Long chaos run of the Redis broker: 1,000 clients × 10,000 events, node kills, Redis restarts (CLIENTS, EVENTS, RATE, PERSISTENCE, RACE=1)
	@bash scripts/chaos.sh

.PHONY: demo-redis
demo-redis: ## The demo as three nodes on one private redis-server behind a round-robin proxy (ARGS="-addr 127.0.0.1:9090"); Ctrl-C stops all
	@bash scripts/demo-redis.sh $(ARGS)
