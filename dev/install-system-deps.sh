#!/usr/bin/env bash
# Install the Debian packages the tests, the demo and `make i18n` need (idempotent, quick when present).
# Runs apt-get only for missing packages; uses sudo when not root. Extra packages may be given as arguments
# (make gui-smoke adds the QGIS desktop, Xvfb and the screenshot tools).
set -euo pipefail
PACKAGES=(
  python3-qgis qgis-providers qgis-common python3-gdal gdal-bin python3-venv python3-pip
  nginx postgresql-15 postgresql-15-postgis-3 pyqt5-dev-tools qttools5-dev-tools
  "$@"
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "Installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
