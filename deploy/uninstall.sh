#!/usr/bin/env bash
# Roll back deploy/install.sh: stop and disable both units, remove the units,
# binaries and docs it installed, and put back the unit files it replaced
# (the Python deployment's). The database, env file, key file and logs stay
# unless --purge. See deploy/README.md.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: deploy/uninstall.sh [--root DIR] [--purge [--yes]]

  --root DIR  uninstall from DIR instead of / (also: DESTDIR=DIR)
  --purge     also delete /etc/alex12060 (env file and service-account key),
              /var/lib/alex12060 (the database: rows not yet pushed to the
              spreadsheet are lost) and /var/log/alex12060. Asks first
              unless --yes.
  --yes       do not ask
  -h, --help  this text

Kept always: the alex12060 system user and group (a later account reusing
their ids would inherit any file left behind).
EOF
}

die() {
	echo "uninstall.sh: $*" >&2
	exit 1
}
note() { echo "  $*"; }

root="${DESTDIR:-}"
purge=false
yes=false
while [ $# -gt 0 ]; do
	case "$1" in
	--root) [ $# -ge 2 ] || die "--root needs a directory"; root=$2; shift ;;
	--root=*) root=${1#*=} ;;
	--purge) purge=true ;;
	--yes | -y) yes=true ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
	shift
done

units=(alex12060-bot.service alex12060-sync-worker.service)
root=${root%/}
live=false
if [ -z "$root" ]; then
	live=true
fi
if $live && [ "$(id -u)" -ne 0 ]; then
	die "run as root (or use --root DIR)"
fi
if $purge && ! $yes; then
	[ -t 0 ] || die "--purge deletes the database and the key; add --yes to confirm"
	printf 'Delete %s/etc/alex12060, %s/var/lib/alex12060 and %s/var/log/alex12060? Type "purge": ' "$root" "$root" "$root"
	read -r answer
	[ "$answer" = purge ] || die "nothing removed"
fi

echo "Uninstalling from ${root:-/}"
# Stop and disable; units that are not installed are not an error here.
if $live; then
	systemctl disable --now "${units[@]}" || true
else
	systemctl --root="$root" disable "${units[@]}" || true
fi

remove() {
	if [ -e "$1" ] || [ -L "$1" ]; then
		rm -rf -- "$1"
		note "removed $1"
	fi
}

backup_dir="$root/var/backups/alex12060"
# install.sh enabled systemd-time-wait-sync (the clock at boot) only where it
# left this marker; anything else enabled it for its own reasons.
wait_sync=systemd-time-wait-sync.service
if [ -f "$backup_dir/enabled-$wait_sync" ]; then
	if $live; then
		systemctl disable --quiet "$wait_sync" || true
	else
		systemctl --root="$root" disable --quiet "$wait_sync" || true
	fi
	rm -f "$backup_dir/enabled-$wait_sync"
	note "disabled $wait_sync, which install.sh had enabled"
fi
restored=()
for u in "${units[@]}"; do
	dest="$root/etc/systemd/system/$u"
	if [ -f "$dest" ] && ! grep -q "Installed by deploy/install.sh" "$dest"; then
		note "left $dest alone: deploy/install.sh did not write it"
		continue
	fi
	remove "$dest"
	if [ -f "$backup_dir/$u" ]; then
		cp -p "$backup_dir/$u" "$dest"
		rm -f "$backup_dir/$u"
		restored+=("$u")
		note "restored the previous $u from $backup_dir/"
	fi
done
rmdir "$backup_dir" 2>/dev/null || true
remove "$root/usr/local/bin/alex12060-bot"
remove "$root/usr/local/bin/alex12060-syncworker"
remove "$root/usr/local/bin/alex12060-check-sync-health"
remove "$root/usr/local/share/doc/alex12060"

if $purge; then
	remove "$root/etc/alex12060"
	remove "$root/var/lib/alex12060"
	remove "$root/var/log/alex12060"
else
	note "kept $root/etc/alex12060, $root/var/lib/alex12060 and $root/var/log/alex12060 (--purge deletes them)"
fi

if $live; then
	systemctl daemon-reload || echo "uninstall.sh: systemctl daemon-reload failed (is systemd running?)" >&2
	systemctl reset-failed "${units[@]}" 2>/dev/null || true
fi
if [ ${#restored[@]} -gt 0 ]; then
	echo
	echo "The previous units are back; to run them again:"
	echo "  systemctl enable --now ${restored[*]}"
fi
