#!/usr/bin/env bash
# Makes sure the base images that Dockerfile and docker-compose.yml name exist in the
# local Docker engine. Each one is pulled if a registry answers; on a machine without
# a container registry it is built here, once, as a local stand-in from Debian's
# packages and this machine's Rust toolchain:
#
#   debian:bookworm-slim   debootstrap --variant=minbase bookworm, imported
#   rust:1-bookworm        that base + build-essential, pkg-config, libssl-dev and the
#                          active rustup toolchain, in the official image's layout
#   redis:7-bookworm       that base + Debian's redis-server
#   haproxy:2.6-bookworm   that base + Debian's haproxy (2.6, the same major.minor)
#
# The stand-ins also trust the host's extra CA certificates
# (/usr/local/share/ca-certificates), so that cargo can fetch crates behind a
# TLS-inspecting proxy. Needs root (debootstrap) and debootstrap.
set -euo pipefail

have() { docker image inspect "$1" >/dev/null 2>&1; }
pulled() { timeout 60 docker pull -q "$1" >/dev/null 2>&1; }

need() {
  local image=$1 build=$2
  if have "$image"; then return; fi
  if pulled "$image"; then echo "pulled $image"; return; fi
  echo "no registry has $image: building a local stand-in"
  "$build" "$image"
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Runs a shell script in a container of `from`, then commits the container as `image`
# with the given Dockerfile-style changes (ENV, CMD, WORKDIR). `extra` are docker run
# flags (bind mounts of what the script copies in).
commit_from() {
  local from=$1 image=$2 script=$3
  shift 3
  local changes=() extra=()
  while [ $# -gt 0 ]; do
    case $1 in
      --change) changes+=(--change "$2"); shift 2 ;;
      *) extra+=("$1"); shift ;;
    esac
  done
  local name="standin-$RANDOM$RANDOM"
  docker run --name "$name" "${extra[@]}" \
    -v /usr/local/share/ca-certificates:/host-ca:ro "$from" bash -euxc "
      mkdir -p /usr/local/share/ca-certificates
      cp /host-ca/*.crt /usr/local/share/ca-certificates/ 2>/dev/null || true
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -q
      $script
      command -v update-ca-certificates >/dev/null && update-ca-certificates
      apt-get clean
      rm -rf /var/lib/apt/lists/*"
  docker commit "${changes[@]}" "$name" "$image" >/dev/null
  docker rm "$name" >/dev/null
}

build_debian() {
  local root="$scratch/rootfs"
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$scratch/debootstrap.log" 2>&1 \
    || { tail -20 "$scratch/debootstrap.log"; exit 1; }
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  tar -C "$root" -c . | docker import --change 'CMD ["bash"]' - "$1" >/dev/null
}

build_rust() {
  local toolchain
  toolchain="$(rustc --print sysroot)"
  local version
  version="$(rustc --version | cut -d' ' -f2)"
  # The official image: RUSTUP_HOME=/usr/local/rustup, CARGO_HOME=/usr/local/cargo,
  # the tools on PATH from /usr/local/cargo/bin. Documentation is left out.
  commit_from debian:bookworm-slim "$1" "
      apt-get install -y -q --no-install-recommends build-essential pkg-config libssl-dev ca-certificates
      dest=/usr/local/rustup/toolchains/stable-x86_64-unknown-linux-gnu
      mkdir -p \$dest /usr/local/cargo/bin
      cp -a /toolchain/bin /toolchain/lib /toolchain/libexec \$dest/
      for tool in cargo rustc rustdoc; do ln -s \$dest/bin/\$tool /usr/local/cargo/bin/\$tool; done" \
    -v "$toolchain:/toolchain:ro" \
    --change 'ENV RUSTUP_HOME=/usr/local/rustup' \
    --change 'ENV CARGO_HOME=/usr/local/cargo' \
    --change 'ENV PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV RUST_VERSION=$version" \
    --change 'CMD ["bash"]'
}

build_redis() {
  commit_from debian:bookworm-slim "$1" \
    "apt-get install -y -q --no-install-recommends redis-server; mkdir -p /data; chown redis:redis /data" \
    --change 'USER redis' --change 'WORKDIR /data' --change 'EXPOSE 6379' --change 'CMD ["redis-server"]'
}

build_haproxy() {
  commit_from debian:bookworm-slim "$1" \
    "apt-get install -y -q --no-install-recommends haproxy; mkdir -p /usr/local/etc/haproxy" \
    --change 'USER haproxy' --change 'CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]'
}

need debian:bookworm-slim build_debian
need rust:1-bookworm build_rust
need redis:7-bookworm build_redis
need haproxy:2.6-bookworm build_haproxy
