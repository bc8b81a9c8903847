#!/usr/bin/env bash
# Builds debian:bookworm-slim from Debian's archive when no image registry can be reached.
# The lab's Dockerfiles all start FROM debian:bookworm-slim; this makes the same base locally:
# a minbase debootstrap, trimmed like the official slim image, then `docker import`.
set -euo pipefail
# shellcheck source=bin/portable.sh
source "$(dirname "$0")/../../bin/portable.sh"

TAG=${TAG:-debian:bookworm-slim}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

if docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "base image $TAG is already here"
  exit 0
fi
if with_timeout 60 docker pull "$TAG" >/dev/null 2>&1; then
  echo "pulled $TAG"
  exit 0
fi
echo "could not pull $TAG: building it from Debian's archive with debootstrap"

if ! command -v debootstrap >/dev/null; then
  echo "error: debootstrap is missing; install it (Debian/Ubuntu: apt-get install debootstrap)" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "error: debootstrap needs root; run 'sudo make base-image'" >&2
  exit 1
fi

root=$(mktemp -d /tmp/halab-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bookworm "$root" "$MIRROR"

# Trim what the official slim image leaves out: caches, package lists, docs. Files only: the
# directories stay, since some maintainer scripts (Java's update-alternatives) write into them.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
find "$root"/usr/share/doc "$root"/usr/share/man "$root"/usr/share/info -type f ! -name copyright -delete
# Keep images slim, as the official image does.
cat > "$root/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
APT
printf 'path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\npath-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\n' \
  > "$root/etc/dpkg/dpkg.cfg.d/docker"

tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["bash"]' - "$TAG"
echo "imported $TAG"
