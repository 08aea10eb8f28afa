#!/usr/bin/env bash
# Cut over from the Python deployment (v2.1.0: units alex12060-bot and
# alex12060-sync-worker running in /home/lexun/Alex12060 with a .env, a
# service-account key and data/reference_data.db) to this one, and back
# (SPEC §10). docs/MIGRATING.md runs it step by step and says what to look
# for after each step. The Python deployment's own files are only ever read
# and copied, never changed, so the way back is always open.
set -euo pipefail
umask 077

usage() {
	cat <<'EOF'
Usage: deploy/migrate-from-python.sh [options] STEP

Steps, in the order of a cutover:
  check        Preflight; changes nothing. Finds the Python deployment,
               converts its .env (shown with the token masked), checks the
               key, the database and the binaries, and pulls the spreadsheet
               once into a scratch database (Sheets is only read) to list
               any row the new worker would reject. Run it while the Python
               units still serve; fix what it reports; run it again.
  stop-python  systemctl disable --now the Python units (downtime starts)
  backup       copy the .env, key, database and unit files to
               /var/backups/alex12060-python/<time>/
  install      deploy/install.sh --bin-dir DIR (backs up the Python units)
  import       /etc/alex12060/alex12060.env from the .env, the key to
               /etc/alex12060/, the database to /var/lib/alex12060/data/
  trial        one sync cycle (syncworker --once) as the service user; it
               adopts the Python database and pulls the spreadsheet
  start        systemctl enable --now the new units (downtime ends)
  verify       the health check: both units active, a recent sync
  cutover      stop-python, backup, install, import, trial, start, verify
               in a row, stopping at the first failure
  rollback     back to the Python units: stops the new ones, pushes the
               rows the new bot saved, restores and starts the Python units

Options:
  --from DIR     the Python deployment's working directory (default: the
                 WorkingDirectory= of its bot unit, else /home/lexun/Alex12060)
  --bin-dir DIR  the built binaries, as for install.sh (default: bin/ here)
  --root DIR     act on a tree instead of / (tests): binaries run directly
                 instead of through systemd-run, and systemctl only enables
                 or disables (--root=DIR); nothing running is stopped or started
  --dry-run      print what would be done (commands prefixed with "+"),
                 change nothing
  --force        rollback: go on although rows are still unpushed
  -h, --help     this text
EOF
}

die() {
	echo "migrate-from-python.sh: $*" >&2
	exit 1
}
note() { echo "  $*"; }
heading() { printf '\n== %s\n' "$*"; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
temps=() # removed at exit
trap 'rm -rf "${temps[@]}"' EXIT
bin_dir="$here/../bin"
root=""
from=""
dry=false
force=false
step=""
while [ $# -gt 0 ]; do
	case "$1" in
	--from) [ $# -ge 2 ] || die "--from needs a directory"; from=$2; shift ;;
	--from=*) from=${1#*=} ;;
	--bin-dir) [ $# -ge 2 ] || die "--bin-dir needs a directory"; bin_dir=$2; shift ;;
	--bin-dir=*) bin_dir=${1#*=} ;;
	--root) [ $# -ge 2 ] || die "--root needs a directory"; root=$2; shift ;;
	--root=*) root=${1#*=} ;;
	--dry-run | -n) dry=true ;;
	--force) force=true ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; die "unknown option: $1" ;;
	*) [ -z "$step" ] || die "one step at a time (got $step and $1)"; step=$1 ;;
	esac
	shift
done
[ -n "$step" ] || { usage >&2; die "which step?"; }

root=${root%/}
live=false
if [ -z "$root" ]; then
	live=true
fi
if $live && ! $dry && [ "$(id -u)" -ne 0 ]; then
	die "run as root (or with --dry-run to see what would be done)"
fi

user=alex12060
units=(alex12060-bot.service alex12060-sync-worker.service)
marker="Installed by deploy/install.sh"
unit_dir=/etc/systemd/system
conf=/etc/alex12060
env_file=$conf/alex12060.env
key_dest=$conf/google_sheets_credentials.json
state=/var/lib/alex12060
db_dest=$state/data/reference_data.db
worker=/usr/local/bin/alex12060-syncworker
health=/usr/local/bin/alex12060-check-sync-health
backups=/var/backups/alex12060-python
# The first line of a converted env file (syncworker --convert-env; this
# script wrote it itself before), which import may write again.
env_marker="# Converted by (syncworker --convert-env|deploy/migrate-from-python.sh)"

# R PATH: PATH on the target (under --root).
R() { printf '%s%s' "$root" "$1"; }

# run CMD...: run it, or print it under --dry-run.
run() {
	if $dry; then
		printf '+'
		printf ' %q' "$@"
		printf '\n'
		return 0
	fi
	"$@"
}

# systemctl on the running system; under --root only enable/disable, offline
# (without --now: nothing running is touched).
sc() {
	local verb=$1 a args=()
	shift
	if $live; then
		run systemctl "$verb" "$@"
		return
	fi
	for a in "$@"; do
		[ "$a" = --now ] || args+=("$a")
	done
	case "$verb" in
	enable | disable) run systemctl --root="$root" "$verb" "${args[@]}" ;;
	*) note "(--root: not running systemctl $verb${*:+ $*})" ;;
	esac
}

ours() { [ -f "$1" ] && grep -q "$marker" "$1"; }

# python_unit NAME: the Python deployment's unit file, wherever it is now.
python_unit() {
	local f
	for f in "$(R "$unit_dir/$1")" "$(R "/var/backups/alex12060/$1")"; do
		if [ -f "$f" ] && ! ours "$f"; then
			echo "$f"
			return 0
		fi
	done
	# The newest backup made by the backup step.
	local found=""
	for f in "$(R "$backups")"/*/units/"$1"; do
		if [ -f "$f" ]; then
			found=$f
		fi
	done
	[ -n "$found" ] && echo "$found"
}

# unit_value FILE KEY: the last KEY= of a unit file.
unit_value() { sed -n "s/^[[:space:]]*$2=[[:space:]]*//p" "$1" | tail -n 1; }

find_from() {
	if [ -n "$from" ]; then
		case "$from" in
		/*) ;;
		*) $live || die "--from must be an absolute path under --root"; from=$PWD/$from ;;
		esac
		from_dir=$(R "$from")
		return
	fi
	local u wd=""
	if u=$(python_unit alex12060-bot.service); then
		wd=$(unit_value "$u" WorkingDirectory)
		wd=${wd#-}
	fi
	from_dir=$(R "${wd:-/home/lexun/Alex12060}")
}

# ids: uid and gid of the service user in the target's user database.
ids() {
	uid=$(awk -F: -v u="$user" '$1 == u { print $3 }' "$(R /etc/passwd)" 2>/dev/null || true)
	gid=$(awk -F: -v u="$user" '$1 == u { print $3 }' "$(R /etc/group)" 2>/dev/null || true)
	if [ -z "$uid" ] || [ -z "$gid" ]; then
		$dry || die "user $user is missing: run the install step first"
		uid=$user gid=$user
	fi
}

# own OWNER PATH: chown when running as root.
own() {
	if [ "$(id -u)" -eq 0 ]; then
		run chown "$1" "$2"
	fi
}

# --- the Python .env ------------------------------------------------------------

# convert: the Python .env through the new worker's --convert-env, which reads
# it with the parser the binaries use for a .env and knows what must change
# for the new units (SPEC §10). Sets converter, key_src, env_show (KEY=value,
# the token masked) and env_notes; dies, naming the variable, on a value the
# binaries would refuse.
convert() {
	local dotenv="$from_dir/.env" kv line
	[ -f "$dotenv" ] || die "no .env in $from_dir (use --from DIR)"
	converter=$(pick alex12060-syncworker syncworker)
	kv=$("$converter" --convert-env "$dotenv" --format=kv 2>&1) || die "$kv"
	env_show=() env_notes=() key_src=""
	while IFS= read -r line; do
		case "$line" in
		key_file=*) key_src=${line#key_file=} ;;
		var=*) env_show+=("${line#var=}") ;;
		note=*) env_notes+=("${line#note=}") ;;
		esac
	done <<<"$kv"
	# A relative GOOGLE_SA_JSON was resolved from the .env's directory; an
	# absolute one is, under --root, inside the tree.
	case "$key_src" in
	"$from_dir"/*) ;;
	*) key_src=$(R "$key_src") ;;
	esac
}

# write_env FILE: the converted environment in systemd's EnvironmentFile format.
write_env() { "$converter" --convert-env "$from_dir/.env" >"$1"; }

show_env() {
	local v
	for v in "${env_show[@]}"; do
		note "$v"
	done
	for v in "${env_notes[@]}"; do
		note "note: $v"
	done
}

# load_env FILE: the KEY=VALUE assignments of an env file in the format
# write_env writes (or install.sh's example), unquoted, into the array
# env_vars: for running the worker outside systemd (check, and --root).
load_env() {
	local line key v
	env_vars=()
	while IFS= read -r line || [ -n "$line" ]; do
		[[ $line =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
		key=${BASH_REMATCH[1]} v=${BASH_REMATCH[2]}
		case "$v" in
		\'*\') v=${v:1:${#v}-2} ;;
		\"*\")
			v=${v:1:${#v}-2}
			v=${v//\\\`/\`}
			v=${v//\\\$/\$}
			v=${v//\\\"/\"}
			v=${v//\\\\/\\}
			;;
		*) v=${v%"${v##*[![:space:]]}"} ;;
		esac
		env_vars+=("$key=$v")
	done <"$1"
}

# --- running the worker -------------------------------------------------------------

# worker_as_service ARGS: the installed worker as the units run it: the
# service user, the env file, the state directory as working directory.
worker_as_service() {
	if $live; then
		run systemd-run --quiet --pipe --wait --collect --service-type=exec \
			-p User="$user" -p Group="$user" -p UMask=0077 \
			-p EnvironmentFile="$env_file" -p WorkingDirectory="$state" \
			"$worker" "$@"
		return
	fi
	# --root: directly, with the env file's variables over the caller's
	# environment and the key path inside the tree.
	local e vars=()
	env_vars=()
	if [ -f "$(R "$env_file")" ] || ! $dry; then
		load_env "$(R "$env_file")"
	fi
	for e in "${env_vars[@]}"; do
		case "$e" in GOOGLE_SA_JSON=/*) e="GOOGLE_SA_JSON=$root${e#*=}" ;; esac
		vars+=("$e")
	done
	if $dry; then
		printf '+ (cd %q && env <the variables of %q> %q' "$(R "$state")" "$(R "$env_file")" "$(R "$worker")"
		printf ' %q' "$@"
		printf ')\n'
		return 0
	fi
	(cd "$(R "$state")" && env "${vars[@]}" "$(R "$worker")" "$@")
}

# review LOG KV: what the operator must look at after a cycle: its Stats
# line (for people), and from KV (syncworker --status --format=kv) whether
# rows are rejected, tabs skipped or appends held; fails when any is.
review() {
	local log=$1 kv=$2 stats rejected skipped held
	stats=$(grep -o 'Stats: [^"]*' "$log" | tail -n 1 || true)
	grep -q '^format=1$' <<<"$kv" || die "cannot read the worker's status: $kv"
	rejected=$(sed -n 's/^rejected_rows=//p' <<<"$kv")
	skipped=$(sed -n 's/^skipped_tabs=//p' <<<"$kv")
	held=$(sed -n 's/^held_tabs=//p' <<<"$kv")
	echo
	[ -z "$stats" ] || note "$stats"
	if grep -q "Found the Python version's database" "$log"; then
		note "the Python tables were kept as legacy_v2_*; a copy of the file as it was:"
		note "  $(grep -o 'backup=[^ ]*' "$log" | head -n 1)"
	fi
	if [ "${rejected:-1}" != 0 ] || [ -n "$skipped" ] || [ -n "$held" ]; then
		echo
		echo "  Rows rejected: ${rejected:-?}; tabs skipped: ${skipped:-none}; appends held: ${held:-none}. The lines that say why:"
		grep -E 'Rejected sheet row|level=ERROR|level=WARN' "$log" | sed 's/^/    /' || true
		return 1
	fi
	note "nothing rejected, no tab skipped"
}

# status_kv: syncworker --status --format=kv on the installed database, as
# the units run it.
status_kv() {
	worker_as_service --status --format=kv --db-path "$(R "$db_dest")" 2>/dev/null || true
}

# --- steps ----------------------------------------------------------------------

# pick: the binary from --bin-dir, as install.sh picks it (absolute).
pick() {
	local f dir
	dir=$(cd "$bin_dir" 2>/dev/null && pwd) || die "no binaries: $bin_dir does not exist (run: make build)"
	for f in "$dir/$1" "$dir/$2"; do
		if [ -f "$f" ] && [ -x "$f" ]; then
			echo "$f"
			return 0
		fi
	done
	die "no executable $2 (or $1) in $bin_dir (make build, or --bin-dir bin/arm64)"
}

do_check() {
	heading "check: the Python deployment and the new binaries (nothing is changed)"
	local u
	for u in "${units[@]}"; do
		if f=$(python_unit "$u"); then
			note "Python unit: $f (User=$(unit_value "$f" User), WorkingDirectory=$(unit_value "$f" WorkingDirectory))"
		else
			note "no Python unit file $u found"
		fi
	done
	if $live; then
		for u in "${units[@]}"; do
			st=$(systemctl is-active "$u" 2>/dev/null || true)
			note "$u: ${st:-unknown}"
		done
	fi
	note "Python deployment: $from_dir"
	convert
	echo
	note "the new /etc/alex12060/alex12060.env will hold:"
	show_env
	echo
	[ -f "$key_src" ] || die "the key file $key_src (GOOGLE_SA_JSON) does not exist"
	local email
	email=$(grep -o '"client_email"[[:space:]]*:[[:space:]]*"[^"]*"' "$key_src" | sed 's/.*"\([^"]*\)"$/\1/' || true)
	[ -n "$email" ] || die "$key_src is not a service-account key (no client_email)"
	note "key: $key_src, service account $email (moves to $key_dest)"
	local db="$from_dir/data/reference_data.db"
	if [ -f "$db" ]; then
		[ "$(head -c 15 "$db")" = "SQLite format 3" ] || die "$db is not an SQLite database"
		note "database: $db, $(wc -c <"$db") bytes (copied to $db_dest; the original stays)"
	else
		note "no database at $db: the new worker starts an empty one"
	fi
	local w b
	w=$(pick alex12060-syncworker syncworker)
	b=$(pick alex12060-bot bot)
	if ! "$w" --version >/dev/null 2>&1 || ! "$b" --version >/dev/null 2>&1; then
		die "the binaries in $bin_dir do not run here (built for another architecture? make build-arm64 builds the Pi's)"
	fi
	note "binaries: $("$w" --version), $("$b" --version)"

	heading "check: one pull of the spreadsheet into a scratch database (Sheets is only read)"
	local scratch e vars=() rc=0
	scratch=$(mktemp -d)
	temps+=("$scratch")
	write_env "$scratch/env"
	load_env "$scratch/env"
	for e in "${env_vars[@]}"; do
		case "$e" in GOOGLE_SA_JSON=*) e="GOOGLE_SA_JSON=$key_src" ;; esac
		vars+=("$e")
	done
	(cd "$scratch" && env "${vars[@]}" "$w" --once --db-path "$scratch/check.db" --log-file - 2>&1) |
		tee "$scratch/check.log" || rc=$?
	[ "$rc" -eq 0 ] || die "the preflight pull failed (exit $rc): see the lines above"
	if ! review "$scratch/check.log" "$("$w" --status --format=kv --db-path "$scratch/check.db" 2>/dev/null)"; then
		echo
		echo "Fix those cells in the spreadsheet (the Python version keeps running meanwhile) and run check again."
		exit 1
	fi
	echo
	echo "Ready. Next: $0 cutover   (or the steps one by one: stop-python, backup, install, import, trial, start, verify)"
}

do_stop_python() {
	heading "stop-python: stop and disable the Python units (the bot is down from here)"
	if ours "$(R "$unit_dir/${units[0]}")"; then
		note "the units are already the new ones: nothing of the Python deployment to stop"
		return
	fi
	sc disable --now "${units[@]}"
	if $live && ! $dry; then
		local u
		for u in "${units[@]}"; do
			if systemctl is-active --quiet "$u"; then
				die "$u is still active"
			fi
		done
	fi
	$dry || note "stopped: ${units[*]}"
}

do_backup() {
	heading "backup: the Python deployment's files"
	convert
	if $live && ! ours "$unit_dir/${units[0]}" && systemctl is-active --quiet "${units[0]}" 2>/dev/null; then
		note "the Python units still run: the database copy may catch a write in progress (cutover backs up after stop-python)"
	fi
	local dir u f
	dir="$(R "$backups")/$(date +%Y%m%d-%H%M%S)"
	run mkdir -p "$dir/data" "$dir/units"
	run chmod 0700 "$(R "$backups")" "$dir"
	run cp -p "$from_dir/.env" "$dir/env"
	if [ -f "$key_src" ]; then
		run cp -p "$key_src" "$dir/$(basename "$key_src")"
	fi
	for f in "$from_dir"/data/reference_data.db "$from_dir"/data/reference_data.db-journal "$from_dir"/data/reference_data.db-wal; do
		if [ -f "$f" ]; then
			run cp -p "$f" "$dir/data/"
		fi
	done
	for u in "${units[@]}"; do
		if f=$(python_unit "$u"); then
			run cp -p "$f" "$dir/units/$u"
		fi
	done
	if ! $dry && command -v sha256sum >/dev/null; then
		local sums
		sums=$(cd "$dir" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
		printf '%s\n' "$sums" >"$dir/SHA256SUMS"
	fi
	note "backed up to ${dir#"$root"}"
}

do_install() {
	heading "install: binaries, units, user, directories"
	local args=(--bin-dir "$bin_dir")
	$live || args+=(--root "$root")
	# install.sh's own "Next steps" are this script's next steps.
	run "$here/install.sh" "${args[@]}" | sed '/^Next steps:/,$d'
}

do_import() {
	heading "import: the .env, the key and the database where the new units expect them"
	convert
	ids
	[ -d "$(R "$conf")" ] || $dry || die "$conf is missing: run the install step first"

	local dest tmp example v
	dest=$(R "$env_file")
	example=$(R /usr/local/share/doc/alex12060/alex12060.env.example)
	if [ -f "$dest" ] && ! cmp -s "$dest" "$example" && ! grep -Eq "^$env_marker" "$dest"; then
		note "kept $env_file: edited by hand since install (compare it with the list above)"
		show_env
	else
		tmp=$(mktemp)
		temps+=("$tmp")
		write_env "$tmp"
		run install -m 0640 "$tmp" "$dest"
		own "0:$gid" "$dest"
		note "wrote $env_file from ${from_dir#"$root"}/.env (GOOGLE_SA_JSON=$key_dest)"
		for v in "${env_notes[@]}"; do
			note "note: $v"
		done
	fi

	dest=$(R "$key_dest")
	[ -f "$key_src" ] || die "the key file $key_src does not exist"
	if [ -f "$dest" ] && ! cmp -s "$key_src" "$dest"; then
		die "$key_dest exists and differs from $key_src: remove it first if the Python one is the right key"
	fi
	run install -m 0640 "$key_src" "$dest"
	own "0:$gid" "$dest"
	note "key: $key_dest (root:$user, 0640)"

	local src="$from_dir/data/reference_data.db" f
	dest=$(R "$db_dest")
	if [ ! -f "$src" ]; then
		note "no Python database: the new worker starts an empty one"
		return
	fi
	if [ -f "$dest" ]; then
		if cmp -s "$src" "$dest"; then
			note "database already copied: $db_dest"
			return
		fi
		# Adopted by a trial run, or left by an earlier attempt: it may hold
		# rows not pushed yet, so it is never overwritten.
		note "kept $db_dest: it is no longer the Python file (adopted by a trial run, or an earlier attempt's; rollback moves it aside)"
		return
	fi
	run mkdir -p "$(dirname "$dest")"
	run chmod 0750 "$(dirname "$dest")"
	own "$uid:$gid" "$(dirname "$dest")"
	for f in "$src" "$src-journal" "$src-wal"; do
		if [ -f "$f" ]; then
			run install -m 0600 "$f" "$dest${f#"$src"}"
			own "$uid:$gid" "$dest${f#"$src"}"
		fi
	done
	note "database: $db_dest ($user, 0600); the original in ${from_dir#"$root"}/data stays as it is"
}

do_trial() {
	heading "trial: one sync cycle as the service user"
	[ -f "$(R "$worker")" ] || $dry || die "$worker is missing: run the install step first"
	[ -f "$(R "$env_file")" ] || $dry || die "$env_file is missing: run the import step first"
	local log rc=0
	log=$(mktemp)
	temps+=("$log")
	worker_as_service --once --log-file - 2>&1 | tee "$log" || rc=$?
	$dry && return 0
	[ "$rc" -eq 0 ] || die "the sync cycle failed (exit $rc): fix what the lines above say and run trial again, or run rollback"
	if ! review "$log" "$(status_kv)"; then
		echo
		echo "Fix those cells in the spreadsheet and run trial again; or start anyway; or rollback."
		exit 1
	fi
}

do_start() {
	heading "start: enable and start the new units (the bot is back)"
	sc enable --now "${units[@]}"
	if $live && ! $dry; then
		local u
		for u in "${units[@]}"; do
			systemctl is-active --quiet "$u" || die "$u did not start: journalctl -u $u"
		done
	fi
	$dry || note "started: ${units[*]}"
}

do_verify() {
	heading "verify: the health check"
	if $live; then
		run "$health"
	else
		run env DB_PATH="$(R "$db_dest")" SYNCWORKER_BIN="$(R "$worker")" "$(R "$health")"
	fi
}

# pending: rows the new bot saved that the spreadsheet does not have yet.
pending() {
	status_kv | sed -n 's/^pending_rows=//p' | head -n 1
}

do_rollback() {
	heading "rollback: back to the Python units"
	local n stamp aside f
	if ours "$(R "$unit_dir/${units[0]}")"; then
		# The bot first, so that it saves nothing more; then the worker, so
		# that the flush below is the only cycle.
		sc stop "${units[0]}"
		sc stop "${units[1]}"
		if [ -f "$(R "$db_dest")" ] && ! $dry; then
			n=$(pending)
			if [ "$n" != 0 ]; then
				note "${n:-an unknown number of} rows the new bot saved may not be in the spreadsheet yet: pushing them"
				worker_as_service --once --log-file - || true
				n=$(pending)
			fi
			if [ "$n" != 0 ]; then
				$force || die "${n:-an unknown number of} rows are still not in the spreadsheet (is Google reachable?). Run rollback again, or add --force to leave them in $db_dest"
				note "--force: ${n:-an unknown number of} rows stay only in $db_dest"
			else
				note "every row the new bot saved is in the spreadsheet"
			fi
		fi
		if $live; then
			run "$here/uninstall.sh"
		else
			run "$here/uninstall.sh" --root "$root"
		fi
	else
		note "the new units are not installed"
	fi

	# Move the new database aside, so that a later cutover starts afresh
	# from the Python one.
	stamp=$(date +%Y%m%d-%H%M%S)
	aside="$(R "$state")/rolled-back-$stamp"
	for f in "$(R "$db_dest")" "$(R "$db_dest")-wal" "$(R "$db_dest")-shm" "$(R "$db_dest").python-v2.bak"; do
		if [ -e "$f" ]; then
			run mkdir -p "$aside"
			run mv "$f" "$aside/"
		fi
	done
	if [ -d "$aside" ] || $dry; then
		note "the new database is kept in ${aside#"$root"}/"
	fi

	local u src
	for u in "${units[@]}"; do
		f=$(R "$unit_dir/$u")
		if [ -f "$f" ] && ! ours "$f"; then
			continue
		fi
		src=$(python_unit "$u") || die "no Python unit file $u to restore: copy it back from your own backup into $unit_dir"
		run cp -p "$src" "$f"
		note "restored $unit_dir/$u from ${src#"$root"}"
	done
	sc daemon-reload
	sc enable --now "${units[@]}"
	if $live && ! $dry; then
		for u in "${units[@]}"; do
			systemctl is-active --quiet "$u" || die "$u did not start: journalctl -u $u"
		done
	fi
	echo
	echo "The Python units run again from ${from_dir#"$root"}; the migration never changed its .env, key or database."
	echo "/etc/alex12060 (env file, key) stays; deploy/uninstall.sh --purge removes it and /var/lib/alex12060."
}

find_from
case "$step" in
check) do_check ;;
stop-python) do_stop_python ;;
backup) do_backup ;;
install) do_install ;;
import) do_import ;;
trial) do_trial ;;
start) do_start ;;
verify) do_verify ;;
cutover)
	SECONDS=0
	do_stop_python
	do_backup
	do_install
	do_import
	do_trial
	do_start
	echo
	echo "The bot was down for ${SECONDS}s."
	do_verify
	;;
rollback) do_rollback ;;
*) usage >&2; die "unknown step: $step" ;;
esac
