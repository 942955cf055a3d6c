# Test Coordinator — the two commands of the README, and a few for development.
# Every target installs what is missing first (scripts/setup.sh skips what is there).

.PHONY: run test setup dev watch check fmt clean bench fuzz

## run: install what is missing, build (release), start on http://127.0.0.1:8084
run:
	scripts/setup.sh
	scripts/build-site.sh release
	cargo build --release -p server
	./target/release/test-coordinator serve

## test: install what is missing, then every check and test, browser tests included
test:
	scripts/setup.sh --browser
	scripts/test.sh

## setup: only install the toolchain (add --browser for the browser tests)
setup:
	scripts/setup.sh --browser

## dev: debug build of site and server, then serve (faster to rebuild than `run`)
dev:
	scripts/setup.sh
	scripts/build-site.sh dev
	cargo build -p server
	LEPTOS_SITE_ROOT=target/site-dev ./target/debug/test-coordinator serve

## watch: like dev, and rebuild + restart on every saved change
watch:
	scripts/watch.sh

## bench: the engine, workload, validator and scale-out benchmarks (print figures; installs Debian's wrk to compare, and a throwaway PostgreSQL)
bench:
	@command -v wrk >/dev/null || (command -v sudo >/dev/null && sudo apt-get install -y -qq wrk || apt-get install -y -qq wrk)
	cargo bench -p server --bench engine
	cargo bench -p server --bench workload
	cargo bench -p app --features ssr --bench validate
	scripts/pg-throwaway.sh run -- cargo bench -p server --bench replicas

## fuzz: the scenario language's properties and fuzzer with many more cases than CI runs
fuzz:
	PROPTEST_CASES=$${PROPTEST_CASES:-20000} cargo test --release -p app --features ssr --test scenario -- properties fuzz

## check: quick compile check of both halves while editing
check:
	cargo check -p app -p server -p sandbox -p fault-proxy --all-targets
	cargo check -p frontend --target wasm32-unknown-unknown

fmt:
	cargo fmt --all

clean:
	rm -rf target/site target/site-dev
