#!/usr/bin/env bash
# Set up twin-builder on a fresh Debian machine: Debian packages (when missing), .venv, the project with
# the given extras. Safe to run again: it only does what is missing.
#   usage: scripts/setup.sh EXTRAS        e.g. scripts/setup.sh dev,usd,report
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-usd,report}"
python="${PYTHON:-python3}"

# Headless rendering through EGL (Mesa's software renderer works without a GPU); open3d needs libusb;
# bubblewrap gives generated asset code a private file system, network and PID namespace.
debs=(libegl1 libegl-mesa0 libgl1 libgl1-mesa-dri libopengl0 libusb-1.0-0 libgomp1 bubblewrap)
missing=()
for deb in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "install ok installed" || missing+=("$deb")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($python --version)"
  $python -m venv .venv
fi

# Reinstall only when pyproject.toml or the extras changed.
stamp=".venv/.twin-setup-$(echo "$extras" | tr ',' '-')"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing twin-builder[$extras] into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[$extras]"
  touch "$stamp"
fi
