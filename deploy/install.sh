#!/usr/bin/env bash
# Install (or upgrade) the shift bot and its sync worker as systemd services
# (SPEC §9). Idempotent: run it again after every build. It never touches an
# existing env file, key file, database or log, and starts nothing unless
# asked. See deploy/README.md; deploy/uninstall.sh undoes it.
set -euo pipefail
umask 022 # directories it creates are world-readable unless set otherwise below

usage() {
	cat <<'EOF'
Usage: deploy/install.sh [--bin-dir DIR] [--root DIR] [--enable] [--start]

Installs the binaries, units, user and configuration directory of the
alex12060 shift bot and sync worker.

  --bin-dir DIR  where the built binaries are: bot and syncworker, as
                 "make build" leaves them (or alex12060-bot and
                 alex12060-syncworker). Default: bin/ of this repository;
                 bin/arm64 holds "make build-arm64"'s.
  --root DIR     install into DIR instead of / (also: DESTDIR=DIR). Nothing
                 on the running system is reloaded or started then.
  --enable       enable both units, so that they start at boot
  --start        (re)start both units now; refused while the env file
                 still lacks a required value
  -h, --help     this text

Installed paths:
  /usr/local/bin/alex12060-bot, /usr/local/bin/alex12060-syncworker
  /usr/local/bin/alex12060-check-sync-health
  /etc/systemd/system/alex12060-bot.service, alex12060-sync-worker.service
  /etc/alex12060/alex12060.env (only when absent)
  /var/lib/alex12060 (state: data/reference_data.db), /var/log/alex12060
  /usr/local/share/doc/alex12060/ (README.md, alex12060.env.example)
Unit files it replaces that it did not install (the Python deployment's)
are kept in /var/backups/alex12060/ and restored by deploy/uninstall.sh.
It enables systemd-time-wait-sync.service when an NTP client is enabled
(the units start after time-sync.target). Its next steps follow what it
found: a fresh install, an upgrade (a database exists), or the Python
deployment's units. The procedure: deploy/README.md, "Install".
EOF
}

die() {
	echo "install.sh: $*" >&2
	exit 1
}
note() { echo "  $*"; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin_dir="$here/../bin"
root="${DESTDIR:-}"
enable=false
start=false
while [ $# -gt 0 ]; do
	case "$1" in
	--bin-dir) [ $# -ge 2 ] || die "--bin-dir needs a directory"; bin_dir=$2; shift ;;
	--bin-dir=*) bin_dir=${1#*=} ;;
	--root) [ $# -ge 2 ] || die "--root needs a directory"; root=$2; shift ;;
	--root=*) root=${1#*=} ;;
	--enable) enable=true ;;
	--start) start=true ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
	shift
done

user=alex12060
units=(alex12060-bot.service alex12060-sync-worker.service)
root=${root%/}
live=false # installing onto the running system, not into a tree
if [ -z "$root" ]; then
	live=true
fi
if $live && [ "$(id -u)" -ne 0 ]; then
	die "run as root (or use --root DIR to install into a tree)"
fi
if ! $live && $start; then
	die "--start acts on the running system; it cannot be combined with --root"
fi
[ -d "$bin_dir" ] || die "no binaries: $bin_dir does not exist (run: make build)"

# pick BIN_DIR/<installed name> or BIN_DIR/<go build name>.
pick() {
	local f
	for f in "$bin_dir/$1" "$bin_dir/$2"; do
		if [ -f "$f" ] && [ -x "$f" ]; then
			echo "$f"
			return 0
		fi
	done
	die "no executable $2 (or $1) in $bin_dir (run: make build)"
}
bot_src=$(pick alex12060-bot bot)
worker_src=$(pick alex12060-syncworker syncworker)
if $live; then
	# A binary built for the other architecture (bin/arm64 on a PC, bin on
	# the Pi) would only fail at service start; catch it here.
	for f in "$bot_src" "$worker_src"; do
		"$f" --version >/dev/null 2>&1 ||
			die "$f does not run here (built for another architecture? --bin-dir bin/arm64 holds the Pi's)"
	done
fi

echo "Installing into ${root:-/}"

# What this install finds decides its next steps: a database means an
# upgrade (never replace it: it holds rows not pushed yet); unit files of
# these names that this script did not write, now or before, mean the Python
# deployment is here; otherwise it is a fresh install.
db="$root/var/lib/alex12060/data/reference_data.db"
backup_dir="$root/var/backups/alex12060"
found=fresh
if [ -e "$db" ]; then
	found=upgrade
else
	for u in "${units[@]}"; do
		f="$root/etc/systemd/system/$u"
		if [ -e "$backup_dir/$u" ] || { [ -f "$f" ] && ! grep -q "Installed by deploy/install.sh" "$f"; }; then
			found=python
		fi
	done
fi

# --- the user ----------------------------------------------------------------
mkdir -p "$root/etc"
if command -v systemd-sysusers >/dev/null; then
	if $live; then
		systemd-sysusers "$here/sysusers.d/alex12060.conf"
	else
		systemd-sysusers --root="$root" "$here/sysusers.d/alex12060.conf"
	fi
elif $live; then
	getent group "$user" >/dev/null || groupadd --system "$user"
	getent passwd "$user" >/dev/null ||
		useradd --system --gid "$user" --home-dir /var/lib/alex12060 --no-create-home \
			--shell /usr/sbin/nologin --comment "alex12060 shift bot" "$user"
else
	die "systemd-sysusers is needed to create the user under --root"
fi
# Numeric ids from the target's own user database, so that --root works
# whatever the build host's users are.
uid=$(awk -F: -v u="$user" '$1 == u { print $3 }' "$root/etc/passwd")
gid=$(awk -F: -v u="$user" '$1 == u { print $3 }' "$root/etc/group")
if [ -z "$uid" ] || [ -z "$gid" ]; then
	die "user $user missing from $root/etc/passwd or $root/etc/group"
fi
note "user $user: uid $uid, gid $gid"

can_chown=true
if [ "$(id -u)" -ne 0 ]; then
	can_chown=false
	note "not root: ownership is left to whoever installs the tree"
fi
# own OWNER:GROUP PATH — chown when we can.
own() {
	if $can_chown; then
		chown "$1" "$2"
	fi
}

# place SRC DEST MODE: replace DEST atomically (a running binary keeps its
# old inode), reporting whether it changed.
place() {
	local src=$1 dest=$2 mode=$3 tmp
	mkdir -p "$(dirname "$dest")"
	if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
		chmod "$mode" "$dest"
		note "unchanged $dest"
		return 0
	fi
	tmp="$dest.tmp.$$"
	cp "$src" "$tmp"
	chmod "$mode" "$tmp"
	own 0:0 "$tmp"
	mv -f "$tmp" "$dest"
	note "installed $dest"
}

# --- binaries, health check, docs --------------------------------------------
place "$bot_src" "$root/usr/local/bin/alex12060-bot" 0755
place "$worker_src" "$root/usr/local/bin/alex12060-syncworker" 0755
place "$here/../scripts/check_sync_health.sh" "$root/usr/local/bin/alex12060-check-sync-health" 0755
place "$here/README.md" "$root/usr/local/share/doc/alex12060/README.md" 0644
place "$here/alex12060.env.example" "$root/usr/local/share/doc/alex12060/alex12060.env.example" 0644

# --- units --------------------------------------------------------------------
for u in "${units[@]}"; do
	dest="$root/etc/systemd/system/$u"
	# A unit of the same name that this script did not write is the Python
	# deployment's: keep it for deploy/uninstall.sh to restore.
	if [ -f "$dest" ] && ! grep -q "Installed by deploy/install.sh" "$dest" && [ ! -e "$backup_dir/$u" ]; then
		mkdir -p "$backup_dir"
		chmod 0700 "$backup_dir"
		cp -p "$dest" "$backup_dir/$u"
		note "backed up the previous $u to $backup_dir/ (its process, if running, still is)"
	fi
	place "$here/systemd/$u" "$dest" 0644
done

# --- configuration, state and log directories ----------------------------------
conf="$root/etc/alex12060"
mkdir -p "$conf"
chmod 0750 "$conf"
own "0:$gid" "$conf"
env_file="$conf/alex12060.env"
if [ -e "$env_file" ]; then
	note "kept existing $env_file"
else
	tmp="$env_file.tmp.$$"
	cp "$here/alex12060.env.example" "$tmp"
	chmod 0640 "$tmp"
	own "0:$gid" "$tmp"
	mv "$tmp" "$env_file"
	note "created $env_file from the example: fill it in"
fi
# systemd creates these at start too; made now so that an old database can
# be copied in before the first start. Existing ones are left as they are.
for d in "$root/var/lib/alex12060" "$root/var/log/alex12060"; do
	if [ ! -d "$d" ]; then
		mkdir -p "$d"
		chmod 0750 "$d"
		own "$uid:$gid" "$d"
		note "created $d"
	fi
done

# Required values still empty in the env file (SPEC §7).
missing=()
for v in BOT_TOKEN SPREADSHEET_ID PRODUCTS; do
	if ! grep -Eq "^[[:space:]]*$v=[\"']?[^\"'[:space:]]" "$env_file"; then
		missing+=("$v")
	fi
done
key=$(sed -n 's/^[[:space:]]*GOOGLE_SA_JSON=["'\'']\{0,1\}\([^"'\'']*\).*/\1/p' "$env_file" | tail -n 1)
key=${key:-/var/lib/alex12060/google_sheets_credentials.json}

# --- the clock -------------------------------------------------------------------
# A Pi 4 has no real-time clock. The units start After=time-sync.target, which
# waits for NTP only where systemd-time-wait-sync.service is enabled (Debian
# and Raspberry Pi OS ship it disabled). It is enabled here when an NTP client
# is enabled too: without one it would wait forever. uninstall.sh disables it
# again if this script enabled it (the marker says so).
sc() {
	if $live; then systemctl "$@"; else systemctl --root="$root" "$@"; fi
}
wait_sync=systemd-time-wait-sync.service
wait_marker="$backup_dir/enabled-$wait_sync"
if [ -f "$root/lib/systemd/system/$wait_sync" ] || [ -f "$root/usr/lib/systemd/system/$wait_sync" ]; then
	ntp=""
	for u in systemd-timesyncd.service chrony.service ntpsec.service ntp.service openntpd.service; do
		if [ "$(sc is-enabled "$u" 2>/dev/null)" = enabled ]; then
			ntp=$u
			break
		fi
	done
	if [ "$(sc is-enabled "$wait_sync" 2>/dev/null)" = enabled ]; then
		note "$wait_sync is enabled: the units wait for the clock at boot"
	elif [ -n "$ntp" ]; then
		sc enable --quiet "$wait_sync"
		mkdir -p "$backup_dir"
		chmod 0700 "$backup_dir"
		echo "enabled by deploy/install.sh; deploy/uninstall.sh disables it" >"$wait_marker"
		note "enabled $wait_sync: at boot the units wait until $ntp has set the clock"
	else
		note "no NTP client enabled: the units will not wait for the clock at boot (deploy/README.md, \"The clock\")"
	fi
fi

# On Raspberry Pi OS the kernel leaves the memory cgroup off unless
# cgroup_enable=memory is on its command line; the worker's MemoryMax= is
# then silently not enforced.
if $live; then
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		grep -qw memory /sys/fs/cgroup/cgroup.controllers || mem_off=true
	elif [ -r /proc/cgroups ] && awk '$1 == "memory" && $4 == "0" { found = 1 } END { exit !found }' /proc/cgroups; then
		mem_off=true
	fi
	if [ "${mem_off:-false}" = true ]; then
		echo "install.sh: warning: the kernel's memory cgroup is off, so MemoryMax=256M is not enforced;" >&2
		echo "  on Raspberry Pi OS add cgroup_enable=memory to /boot/firmware/cmdline.txt and reboot (deploy/README.md)" >&2
	fi
fi

# --- systemd -------------------------------------------------------------------
if $live; then
	systemctl daemon-reload || echo "install.sh: systemctl daemon-reload failed (is systemd running?)" >&2
fi
if $enable; then
	if $live; then
		systemctl enable "${units[@]}"
	else
		systemctl --root="$root" enable "${units[@]}"
	fi
fi
if $start; then
	[ ${#missing[@]} -eq 0 ] || die "not starting: $env_file lacks ${missing[*]}"
	systemctl restart "${units[@]}"
	note "(re)started ${units[*]}"
fi

# --- next steps, for what this install found ---------------------------------------
run_as="systemd-run --pipe --wait --collect -p User=$user -p EnvironmentFile=/etc/alex12060/alex12060.env \\
         -p WorkingDirectory=/var/lib/alex12060 /usr/local/bin/alex12060-syncworker --log-file -"
health=/usr/local/bin/alex12060-check-sync-health
echo
case "$found" in
upgrade)
	echo "Upgrade: the database, env file and key were kept as they are."
	if $start; then
		echo "Next: check with  $health"
	else
		echo "Next steps:"
		echo "  1. Run the new binaries:  systemctl restart ${units[*]}"
		echo "     (or run install.sh again with --start)"
		echo "  2. Check:  $health"
	fi
	;;
python)
	echo "The Python deployment's units were here: they are kept in /var/backups/alex12060/"
	echo "(deploy/uninstall.sh puts them back). Its .env, key and database are converted"
	echo "and copied by deploy/migrate-from-python.sh (docs/MIGRATING.md). Next steps:"
	echo "  1. Stop what still runs under these names:  systemctl stop ${units[*]}"
	echo "  2. deploy/migrate-from-python.sh import; then trial, start, verify"
	;;
*)
	echo "Next steps (deploy/README.md, \"Install\"):"
	step=1
	if [ ${#missing[@]} -gt 0 ]; then
		echo "  $step. Fill in ${missing[*]} in /etc/alex12060/alex12060.env"
		step=$((step + 1))
	fi
	if [ ! -e "$root$key" ]; then
		echo "  $step. Install the service-account key:"
		echo "       install -m 0640 -o root -g $user KEY.json $key"
		step=$((step + 1))
	fi
	echo "  $step. Prepare the spreadsheet, then try one cycle, as the service user:"
	echo "       $run_as --init-sheets"
	echo "       $run_as --once"
	echo "  $((step + 1)). Start both, now and at boot:  systemctl enable --now ${units[*]}"
	echo "  $((step + 2)). Check:  $health"
	;;
esac
