#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (README "Tests"); `.ci/run` calls it on CI.
# Run it as root or as a user with sudo: it uses sudo itself when it is not root. It installs only
# what is missing, so on a machine that has everything it changes nothing and needs no root.
set -euo pipefail

# Build tools for better-sqlite3 when its prebuilt binary cannot be fetched; util-linux for the
# tmpfs mounts of the full-disk test; openssl for test certificates; the real services the
# integration tests run against (victoria-metrics as a second remote-write receiver); chromium for
# the status page test; systemd-analyze for the unit; Redis, MariaDB and their exporters for the
# whole-site test; cross compilers, qemu and the disk image tools for the ARM bundles and the Pi
# image; for booting the Pi image: qemu-system-arm (the whole arm64 machine), debootstrap (the
# Debian stand-in base, built as root and cached in build/cache/pi-base) and socat (the guest's
# forwarded connections to the host's receiver).
PACKAGES=(python3 make g++ util-linux openssl mosquitto mosquitto-clients prometheus-node-exporter prometheus chromium systemd
  redis-server prometheus-redis-exporter mariadb-server prometheus-mysqld-exporter victoria-metrics
  crossbuild-essential-arm64 crossbuild-essential-armhf qemu-user-static mtools fdisk e2fsprogs xz-utils
  qemu-system-arm debootstrap socat)
# The packaged services among them, stopped should one start anyway.
SERVICES=(mosquitto prometheus prometheus-node-exporter redis-server mariadb prometheus-redis-exporter prometheus-mysqld-exporter victoria-metrics)

missing=()
for p in "${PACKAGES[@]}"; do
  # Installed, not merely known to dpkg (a removed package keeps its config files and its entry).
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-test-deps: all ${#PACKAGES[@]} test packages are installed"
  exit 0
fi

SUDO=()
if [ "$(id -u)" != 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-test-deps: missing ${missing[*]}; run this as root (sudo is not installed)" >&2
    exit 1
  fi
  SUDO=(sudo)
fi

echo "install-test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The tests start their own instances on loopback: keep the packaged services from starting.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${SUDO[@]}" chmod +x /usr/sbin/policy-rc.d
  trap '"${SUDO[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
fi
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
# A service that started anyway would hold the ports and files the tests expect free.
for svc in "${SERVICES[@]}"; do "${SUDO[@]}" systemctl stop "$svc" 2>/dev/null || true; done
