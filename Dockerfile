# Builds both servers; `docker compose up` runs them (see docker-compose.yml).
FROM rust:1-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends pkg-config libssl-dev && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cargo build --release --bins -p auth-server -p resource-server-demo

FROM debian:bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libssl3 curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 app
COPY --from=build /src/target/release/auth-server /src/target/release/resource-server /usr/local/bin/
COPY config/dev-bootstrap.toml /etc/auth/bootstrap.toml
USER app
