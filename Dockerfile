# The system's images, one target per binary, all from one build stage:
#
#   docker build --target auth-server     -t token-auth/auth-server .
#   docker build --target resource-server -t token-auth/resource-server .
#   docker build --target web-portal      -t token-auth/web-portal .
#   docker build --target reports-job     -t token-auth/reports-job .
#
# docker-compose.yml builds them all. No configuration or secret is baked in: the
# settings come from the environment, the bootstrap file is mounted.

ARG RUST_IMAGE=rust:1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${RUST_IMAGE} AS build
WORKDIR /src
ENV CARGO_TERM_COLOR=never CARGO_INCREMENTAL=0

# Dependencies first, in their own layer: it is rebuilt only when a manifest or the
# lock file changes. The workspace's own crates are empty stand-ins here.
COPY Cargo.toml Cargo.lock ./
COPY shared-claims/Cargo.toml shared-claims/
COPY server-kit/Cargo.toml server-kit/
COPY resource-server/Cargo.toml resource-server/
COPY auth-server/Cargo.toml auth-server/
COPY demo-api/Cargo.toml demo-api/
COPY web-portal/Cargo.toml web-portal/
COPY reports-job/Cargo.toml reports-job/
COPY tests/Cargo.toml tests/
RUN set -eu; \
    for crate in shared-claims server-kit resource-server auth-server demo-api web-portal reports-job tests; do \
        mkdir -p "$crate/src" && : > "$crate/src/lib.rs"; \
    done; \
    for crate in auth-server demo-api web-portal reports-job; do echo 'fn main() {}' > "$crate/src/main.rs"; done; \
    mkdir -p resource-server/examples && echo 'fn main() {}' > resource-server/examples/protect_service.rs; \
    cargo build --release --locked -p auth-server -p resource-server-demo -p web-portal -p reports-job

# The sources. Their copied timestamps may be older than the stand-ins just built, so
# they are touched: cargo rebuilds what changed by modification time.
COPY . .
RUN set -eu; \
    find shared-claims server-kit resource-server auth-server demo-api web-portal reports-job -type f -exec touch {} +; \
    cargo build --release --locked -p auth-server -p resource-server-demo -p web-portal -p reports-job; \
    mkdir -p /out && cp target/release/auth-server target/release/resource-server \
        target/release/web-portal target/release/reports-job /out/

# What every binary runs on: CA certificates for https to the auth server, the
# OpenSSL runtime, and an unprivileged user.
FROM ${RUNTIME_IMAGE} AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app
USER app
ENV LOG_FORMAT=json

FROM runtime AS auth-server
COPY --from=build /out/auth-server /usr/local/bin/
ENV AUTH_BIND=0.0.0.0:8080 AUTH_OPS_BIND=0.0.0.0:9080
EXPOSE 8080 9080
HEALTHCHECK --interval=5s --timeout=4s --start-period=30s --retries=3 CMD ["auth-server", "healthcheck"]
ENTRYPOINT ["auth-server"]

FROM runtime AS resource-server
COPY --from=build /out/resource-server /usr/local/bin/
ENV RS_BIND=0.0.0.0:8081 RS_OPS_BIND=0.0.0.0:9081
EXPOSE 8081 9081
HEALTHCHECK --interval=5s --timeout=4s --start-period=30s --retries=3 CMD ["resource-server", "healthcheck"]
ENTRYPOINT ["resource-server"]

FROM runtime AS web-portal
COPY --from=build /out/web-portal /usr/local/bin/
ENV PORTAL_BIND=0.0.0.0:8090
EXPOSE 8090
HEALTHCHECK --interval=5s --timeout=4s --start-period=30s --retries=3 CMD ["web-portal", "healthcheck"]
ENTRYPOINT ["web-portal"]

# A job, not a server: nothing to publish or probe.
FROM runtime AS reports-job
COPY --from=build /out/reports-job /usr/local/bin/
ENTRYPOINT ["reports-job"]
