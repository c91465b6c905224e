#!/usr/bin/env bash
# Makes the three base images the lab image builds on, on a machine that cannot pull from a
# registry: a Debian bookworm root made by debootstrap and `docker import`, plus this machine's
# Go and Node.js laid into it under the paths the official images use (/usr/local/go,
# /usr/local/bin/node). With a registry, skip this and use the defaults of docker/Dockerfile
# (debian:bookworm-slim, golang:1.26-bookworm, node:20-bookworm-slim).
#
#   docker/base/make-local-bases.sh            # -> ghl/debian:bookworm, ghl/golang:1.26-bookworm, ghl/node:20-bookworm
#   CACHE=/var/cache/ghl docker/base/make-local-bases.sh
set -euo pipefail
cache=${CACHE:-/var/cache/ghl}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$cache"

have() { docker image inspect "$1" >/dev/null 2>&1; }

if ! have ghl/debian:bookworm; then
  if [ ! -f "$cache/bookworm-minbase.tar" ]; then
    command -v debootstrap >/dev/null || { echo "needs debootstrap: apt-get install debootstrap" >&2; exit 2; }
    root=$(mktemp -d "$cache/rootfs.XXXXXX")
    trap 'rm -rf "$root"' EXIT
    echo "debootstrap --variant=minbase bookworm ($mirror)"
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 || { tail -20 "$cache/debootstrap.log"; exit 1; }
    # The apt sources the image will use, and no caches.
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' "$mirror" "$mirror" >"$root/etc/apt/sources.list"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -cf "$cache/bookworm-minbase.tar.tmp" . && mv "$cache/bookworm-minbase.tar.tmp" "$cache/bookworm-minbase.tar"
    rm -rf "$root"
    trap - EXIT
  fi
  docker import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' "$cache/bookworm-minbase.tar" ghl/debian-raw:bookworm >/dev/null
  # This machine's extra certificate authorities (a TLS-inspecting proxy in front of the
  # registries, say) go into the base, so npm and the Go module proxy work inside builds too;
  # the image installs ca-certificates and runs update-ca-certificates, which picks them up.
  ctx=$(mktemp -d)
  mkdir -p "$ctx/ca"
  cp /usr/local/share/ca-certificates/*.crt "$ctx/ca/" 2>/dev/null || true
  printf 'FROM ghl/debian-raw:bookworm\nCOPY ca/ /usr/local/share/ca-certificates/\n' >"$ctx/Dockerfile"
  docker build --network host -q -t ghl/debian:bookworm "$ctx" >/dev/null
  rm -rf "$ctx"
  echo "made ghl/debian:bookworm ($(ls /usr/local/share/ca-certificates/*.crt 2>/dev/null | wc -l) extra CA certificates)"
fi

goroot=$(go env GOROOT 2>/dev/null || echo /usr/local/go)
gover=$(go env GOVERSION)
if ! have "ghl/golang:1.26-bookworm"; then
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' EXIT
  # Only what building needs: the toolchain, the standard library sources, no tests or docs.
  tar -C "$(dirname "$goroot")" --exclude='go/test' --exclude='go/doc' --exclude='go/api' --exclude='go/misc' \
      --exclude='go/pkg/obj' --exclude='go/src/*/testdata' -cf "$ctx/go.tar" "$(basename "$goroot")"
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM ghl/debian:bookworm
ADD go.tar /usr/local/
ENV PATH=/usr/local/go/bin:$PATH GOTOOLCHAIN=local
DOCKERFILE
  docker build --network host -q -t ghl/golang:1.26-bookworm "$ctx" >/dev/null
  rm -rf "$ctx"
  trap - EXIT
  echo "made ghl/golang:1.26-bookworm ($gover)"
fi

if ! have "ghl/node:20-bookworm"; then
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' EXIT
  node_bin=$(command -v node)
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  mkdir -p "$ctx/usr/local/bin" "$ctx/usr/local/lib/node_modules"
  cp "$node_bin" "$ctx/usr/local/bin/node"
  cp -a "$npm_dir" "$ctx/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ctx/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ctx/usr/local/bin/npx"
  tar -C "$ctx" -cf "$ctx/node.tar" usr
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM ghl/debian:bookworm
ADD node.tar /
DOCKERFILE
  docker build --network host -q -t ghl/node:20-bookworm -f "$ctx/Dockerfile" "$ctx" >/dev/null
  rm -rf "$ctx"
  trap - EXIT
  echo "made ghl/node:20-bookworm ($(node --version))"
fi
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep '^ghl/' || true
