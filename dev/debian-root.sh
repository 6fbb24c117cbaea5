#!/usr/bin/env bash
# Run `make test` (or the given make arguments) inside a Debian root of another release, built with debootstrap:
#   bash dev/debian-root.sh trixie            # QGIS 3.40 LTR, Python 3.13, PostgreSQL 17
#   bash dev/debian-root.sh sid PYTEST_ARGS="tests/test_http.py -q"
# The root is cached outside the checkout ($SCENE_PICKER_ROOTS/<suite>, default /var/tmp/scene-picker-roots) and
# reused while valid (built by this script version, dpkg consistent, younger than SCENE_PICKER_ROOT_MAX_DAYS);
# otherwise it is rebuilt. Its apt cache and the venvs of the copied checkout survive between runs, pip's
# cache ($SCENE_PICKER_ROOTS/<suite>.pip-cache, bound into it) survives rebuilds too.
# The Debian mirror is the one the host's apt uses (or $DEBIAN_MIRROR). Needs root, debootstrap and chroot.
# Mounts are always undone on exit, and nothing is removed while anything is still mounted inside it.
set -euo pipefail

SUITE=${1:?usage: dev/debian-root.sh SUITE [make arguments...]}
shift
MAKE_ARGS=("$@")
[ ${#MAKE_ARGS[@]} -gt 0 ] || MAKE_ARGS=(test)
SRC=$(cd "$(dirname "$0")/.." && pwd)
ROOTS=${SCENE_PICKER_ROOTS:-/var/tmp/scene-picker-roots}
ROOT=$ROOTS/$SUITE
PIP_CACHE=$ROOTS/$SUITE.pip-cache
MAX_DAYS=${SCENE_PICKER_ROOT_MAX_DAYS:-14}
BASE_PACKAGES="git make python3 python3-venv ca-certificates"
STAMP_TEXT="scene-picker root v1: $SUITE: $BASE_PACKAGES"
STAMP=.scene-picker-root
WORKDIR=/root/scene_picker  # a valid Python package name (ruff N999)
BIND_POINTS=(proc sys dev dev/pts dev/shm)

die() {
	echo "debian-root: error: $*" >&2
	exit 2
}
say() { echo "debian-root[$SUITE]: $*"; }

# `step NAME command...`: run, and record how long it took for the summary printed at the end.
TIMINGS=()
step() {
	local name=$1 t0 rc=0
	shift
	t0=$(date +%s)
	"$@" || rc=$?
	TIMINGS+=("$(printf '%-22s %5d s' "$name" $(($(date +%s) - t0)))")
	return $rc
}

# The host's Debian mirror: the first non-security deb source of its apt configuration.
debian_mirror() {
	if [ -n "${DEBIAN_MIRROR:-}" ]; then
		echo "$DEBIAN_MIRROR"
		return
	fi
	local f
	for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'BEGIN { RS = ""; FS = "\n" }
			{ uri = ""; skip = 0
			  for (i = 1; i <= NF; i++) {
			    if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uri = a[2] }
			    if ($i ~ /^Suites:.*-security/ || $i ~ /^Enabled: *no/) skip = 1
			  }
			  if (uri != "" && !skip) { print uri; exit } }' "$f" | grep -m1 . && return
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" && $0 !~ /-security/ {
			for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; exit } }' "$f" | grep -m1 . && return
	done
	return 1
}

# Mount points at or below $1, deepest first.
mounts_under() {
	awk -v r="$1" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/self/mounts | sort -r
}

unmount_all() {
	local m
	for m in $(mounts_under "$1"); do
		umount -R "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	if [ -n "$(mounts_under "$1")" ]; then
		echo "debian-root: still mounted under $1:" $(mounts_under "$1") >&2
		return 1
	fi
}

# Remove a root only when nothing is mounted inside it (rm -rf through a bound /dev deletes the host's devices).
safe_remove() {
	[ -e "$1" ] || return 0
	unmount_all "$1" || die "refusing to remove $1 while something is mounted inside it"
	rm -rf --one-file-system "$1"
}

cleanup() {
	local rc=$?
	unmount_all "$ROOT" || echo "debian-root: WARNING: could not unmount everything under $ROOT" >&2
	if [ ${#TIMINGS[@]} -gt 0 ]; then
		echo "debian-root[$SUITE] timings:"
		printf '  %s\n' "${TIMINGS[@]}"
	fi
	exit $rc
}

mount_all() {
	local p
	for p in "${BIND_POINTS[@]}"; do
		[ -d "/$p" ] || continue
		mkdir -p "$ROOT/$p"
		mount --bind "/$p" "$ROOT/$p" || return 1
	done
	# pip's cache lives beside the root, so a rebuilt root downloads no wheel twice
	mkdir -p "$PIP_CACHE" "$ROOT/root/.cache/pip"
	mount --bind "$PIP_CACHE" "$ROOT/root/.cache/pip" || return 1
	cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
	# The host's CA certificates (local ones included), so TLS through the same network works inside.
	mkdir -p "$ROOT/usr/local/share/ca-certificates" "$ROOT/etc/ssl/certs"
	if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
		cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
	fi
	[ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/"
	# The host's apt network policy (proxies; a snapshot mirror's expired Release dates accepted or not)
	apt-config dump | grep -E '^Acquire::(https?::Proxy|Check-Valid-Until|Check-Date) ' \
		>"$ROOT/etc/apt/apt.conf.d/99scene-picker-host" || true
}

# Environment for commands inside: a clean one, plus the host's proxy and pip/TLS settings.
in_root() {
	# PIP_CACHE_DIR: the Makefile points XDG_CACHE_HOME into build/, which each run replaces
	local env=(HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive PIP_CACHE_DIR=/root/.cache/pip
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
	local v
	for v in $(compgen -e); do
		case $v in
		http_proxy | https_proxy | no_proxy | HTTP_PROXY | HTTPS_PROXY | NO_PROXY | PIP_INDEX_URL | \
			PIP_EXTRA_INDEX_URL | PIP_DEFAULT_TIMEOUT | PIP_CERT | SSL_CERT_FILE | REQUESTS_CA_BUNDLE)
			env+=("$v=${!v}")
			;;
		esac
	done
	# SIGINT back to its default: a job started in the background ignores it, and tests interrupt children
	chroot "$ROOT" /usr/bin/env -i --default-signal=INT "${env[@]}" "$@"
}

root_is_valid() {
	[ -f "$ROOT/$STAMP" ] && [ "$(cat "$ROOT/$STAMP")" = "$STAMP_TEXT" ] || return 1
	[ -z "$(find "$ROOT/$STAMP" -mtime +"$MAX_DAYS")" ] || return 1
	chroot "$ROOT" /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null || return 1
	chroot "$ROOT" make --version >/dev/null 2>&1 || return 1
	chroot "$ROOT" git --version >/dev/null 2>&1 || return 1
	[ -z "$(chroot "$ROOT" dpkg --audit 2>/dev/null)" ] || return 1
}

debootstrap_root() {
	local log=$ROOTS/$SUITE.debootstrap.log
	safe_remove "$ROOT"
	say "debootstrap $SUITE from $MIRROR into $ROOT (log: $log)"
	if ! debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		safe_remove "$ROOT"
		die "debootstrap of $SUITE from $MIRROR failed"
	fi
}

# (called through `step`, where errexit is off: every command checks its own status)
install_base() {
	mount_all || return 1
	in_root apt-get update -qq || return 1
	# shellcheck disable=SC2086
	in_root apt-get install -y -q --no-install-recommends $BASE_PACKAGES >/dev/null || return 1
	in_root update-ca-certificates >/dev/null || return 1
	echo "$STAMP_TEXT" >"$ROOT/$STAMP"
}

# The checkout as it is (tracked and untracked-but-not-ignored files), as a fresh git repository inside;
# the venvs from the previous run stay (their Makefile stamps decide whether pip runs again).
copy_checkout() {
	local dest=$ROOT$WORKDIR
	mkdir -p "$dest" || return 1
	find "$dest" -mindepth 1 -maxdepth 1 ! -name .venv ! -name '.venv-*' -exec rm -rf --one-file-system {} + ||
		return 1
	(cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -C "$dest" -xf - || return 1
	in_root sh -c "cd $WORKDIR && git init -q && git add -A && git -c user.name=ci -c user.email=ci@localhost \
		commit -q -m 'checkout snapshot'"
}

main() {
	[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, mount, chroot)"
	command -v debootstrap >/dev/null || die "debootstrap is not installed"
	mkdir -p "$ROOTS"
	exec 9>"$ROOTS/$SUITE.lock"
	flock -w 3600 9 || die "another run holds $ROOTS/$SUITE.lock"
	trap cleanup EXIT
	trap 'exit 130' INT TERM HUP
	MIRROR=$(debian_mirror) || die "no Debian mirror in /etc/apt (set DEBIAN_MIRROR)"
	unmount_all "$ROOT" || die "left-over mounts under $ROOT"
	if ! root_is_valid; then
		python3 - "$MIRROR/dists/$SUITE/Release" <<-'EOF' || die "the Debian mirror $MIRROR is unreachable (no $SUITE Release file)"
			import sys, urllib.request
			try:
			    urllib.request.urlopen(sys.argv[1], timeout=30).read(1)
			except (OSError, ValueError) as exc:
			    sys.exit(f"debian-root: {sys.argv[1]}: {exc}")
		EOF
		step debootstrap debootstrap_root
		step "apt (base packages)" install_base || die "installing $BASE_PACKAGES in $ROOT failed"
		unmount_all "$ROOT"
	else
		say "reusing $ROOT"
	fi
	mount_all
	step "copy checkout" copy_checkout || die "copying $SRC into $ROOT$WORKDIR failed"
	say "make ${MAKE_ARGS[*]} in $ROOT$WORKDIR"
	if [ "${MAKE_ARGS[0]}" = test ]; then # the same steps as `make test`, timed one by one
		step "apt (system-deps)" in_root make -C "$WORKDIR" system-deps
		step "pip (venvs)" in_root make -C "$WORKDIR" venv stac-venv
	fi
	step "make ${MAKE_ARGS[*]}" in_root make -C "$WORKDIR" "${MAKE_ARGS[@]}"
}

main
