# syntax=docker/dockerfile:1
# Test Coordinator image: the server binary, the built site (WASM, JS, CSS),
# the scenario library and the migrations, on a slim Debian, as a non-root user.
# No Docker engine runs on the development machines: this file is kept correct
# by reading (README "Docker").

# ---- build ----------------------------------------------------------------
FROM rust:1.95-bookworm AS builder
# wasm-bindgen-cli must equal the wasm-bindgen pinned in Cargo.lock;
# wasm-opt comes from npm's binaryen 132 (Debian's 108 breaks hydration).
# brotli precompresses the bundle (scripts/build-site.sh).
ARG WASM_BINDGEN_VERSION=0.2.130
RUN rustup target add wasm32-unknown-unknown \
 && apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm brotli \
 && rm -rf /var/lib/apt/lists/* \
 && npm install -g binaryen@132.0.0 \
 && cargo install wasm-bindgen-cli --version "${WASM_BINDGEN_VERSION}"
WORKDIR /src
COPY . .
RUN scripts/build-site.sh release \
 && cargo build --release -p server \
 && strip target/release/test-coordinator

# ---- runtime --------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin coordinator \
 && mkdir -p /data/reports /data/custom-scenarios \
 && chown -R coordinator /data
WORKDIR /app
COPY --from=builder /src/target/release/test-coordinator /usr/local/bin/test-coordinator
COPY --from=builder /src/target/site /app/site
COPY scenarios /app/scenarios
COPY migrations /app/migrations
COPY config.example.yaml /app/config.example.yaml
ENV TEST_COORDINATOR_HOST=0.0.0.0 \
    TEST_COORDINATOR_PORT=8084 \
    TEST_COORDINATOR_DATABASE=/data/test-coordinator.db \
    LEPTOS_SITE_ROOT=/app/site \
    ENVIRONMENT=docker \
    SERVICE_INSTANCE_NAME=test-coordinator \
    TEST_COORDINATOR_AUTH_MODE=users
USER coordinator
VOLUME ["/data"]
EXPOSE 8084
HEALTHCHECK --interval=30s --timeout=10s --start-period=40s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8084/health || exit 1
CMD ["test-coordinator", "serve"]
