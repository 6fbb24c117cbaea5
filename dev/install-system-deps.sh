#!/usr/bin/env bash
# Install the Debian packages the tests, the demo and `make i18n` need (idempotent, quick when present).
# PostgreSQL/PostGIS follow the Debian release: bookworm 15, trixie 17, otherwise (sid…) the release's default
# (what its `postgresql` package depends on). Runs apt-get only for missing packages; uses sudo when not root.
# Extra packages may be given as arguments (make gui-smoke adds the QGIS desktop, Xvfb and the screenshot tools).
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
updated=""
apt_update() {
  [ -n "$updated" ] || $SUDO apt-get update -qq
  updated=1
}

# shellcheck disable=SC1091
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
case "$codename" in
  bookworm) pg=15 ;;
  trixie) pg=17 ;;
  *)
    pg=$(apt-cache depends postgresql 2>/dev/null | sed -n 's/.*Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n1)
    if [ -z "$pg" ]; then
      apt_update
      pg=$(apt-cache depends postgresql | sed -n 's/.*Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n1)
    fi
    [ -n "$pg" ] || { echo "install-system-deps: no PostgreSQL version known for Debian '$codename'" >&2; exit 1; }
    ;;
esac

PACKAGES=(
  python3-qgis qgis-providers qgis-common python3-gdal gdal-bin python3-venv python3-pip
  nginx "postgresql-$pg" "postgresql-$pg-postgis-3" pyqt5-dev-tools qttools5-dev-tools
  "$@"
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
apt_update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
