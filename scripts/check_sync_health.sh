#!/usr/bin/env bash
# Health of the shift bot's deployment (SPEC §9), for cron, a monitoring
# agent (Nagios plugin conventions) or a human: both units active, and the
# last successful sync recent as the sync worker's own --status judges it
# (within 3 x the interval, SPEC §8).
#
# The first line of output is exactly one of
#   OK: ...        exit 0
#   WARNING: ...   exit 1  the last successful sync is older than 3 x interval
#   CRITICAL: ...  exit 2  a unit is not active, no sync ever succeeded, or
#                          the status cannot be read
# followed by the details (the units' states and syncworker --status).
#
# Run it as root or as alex12060: the database is readable by its owner only.
#
# Settings (environment, or the flags below):
#   SYNCWORKER_BIN  default /usr/local/bin/alex12060-syncworker
#   DB_PATH         default /var/lib/alex12060/data/reference_data.db  (--db-path)
#   INTERVAL        the worker's --interval in seconds, default 300     (--interval)
#   BOT_UNIT        default alex12060-bot.service
#   WORKER_UNIT     default alex12060-sync-worker.service
#   STATUS_TIMEOUT  seconds to wait for --status, default 60
set -uo pipefail

syncworker=${SYNCWORKER_BIN:-/usr/local/bin/alex12060-syncworker}
db_path=${DB_PATH:-/var/lib/alex12060/data/reference_data.db}
interval=${INTERVAL:-300}
units=("${BOT_UNIT:-alex12060-bot.service}" "${WORKER_UNIT:-alex12060-sync-worker.service}")
status_timeout=${STATUS_TIMEOUT:-60}

# Any failure of the script itself is CRITICAL, never a silent OK.
fail() {
	echo "CRITICAL: $*"
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--db-path) [ $# -ge 2 ] || fail "--db-path needs a path"; db_path=$2; shift ;;
	--db-path=*) db_path=${1#*=} ;;
	--interval) [ $# -ge 2 ] || fail "--interval needs seconds"; interval=$2; shift ;;
	--interval=*) interval=${1#*=} ;;
	-h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) fail "unknown argument: $1 (usage: $0 [--db-path PATH] [--interval SECONDS])" ;;
	esac
	shift
done
case "$interval" in
'' | *[!0-9]*) fail "INTERVAL must be a number of seconds, got '$interval'" ;;
esac

critical=()
warning=()
details=()

# --- units ----------------------------------------------------------------------
for u in "${units[@]}"; do
	if systemctl is-active --quiet "$u"; then
		details+=("$u: active")
	else
		state=$(systemctl is-active "$u" 2>/dev/null)
		critical+=("$u is ${state:-not active}")
		details+=("$u: ${state:-not active}")
	fi
done

# --- last successful sync -------------------------------------------------------
# syncworker --status creates a database that does not exist; a health check
# must not, so a missing file is reported instead.
last="" age="" pending=""
if [ ! -e "$db_path" ]; then
	critical+=("database $db_path not found (or not visible to $(id -un))")
elif [ ! -r "$db_path" ]; then
	critical+=("database $db_path not readable by $(id -un): run as root or alex12060")
elif [ ! -x "$syncworker" ]; then
	critical+=("$syncworker not found or not executable (set SYNCWORKER_BIN)")
else
	runner=()
	if command -v timeout >/dev/null; then
		runner=(timeout "$status_timeout")
	fi
	err_file=$(mktemp) || fail "cannot create a temporary file"
	trap 'rm -f "$err_file"' EXIT
	out=$("${runner[@]}" "$syncworker" --status --db-path "$db_path" --interval "$interval" 2>"$err_file")
	rc=$?
	err=$(head -n 1 "$err_file")
	last=$(printf '%s\n' "$out" | sed -n 's/^Last successful sync: //p' | head -n 1)
	pending=$(printf '%s\n' "$out" | sed -n 's/^Pending rows: \([0-9]*\).*/\1/p' | head -n 1)
	case "$last" in
	*" ago)") age=$(printf '%s\n' "$last" | sed 's/.*(\(.*\) ago)$/\1/') ;;
	esac
	threshold="$((3 * interval))s (3 x the ${interval}s interval)"
	# The newest cycle is the first listed; its error says why.
	last_error=$(printf '%s\n' "$out" | sed -n '/^Recent cycles/{n;s/.* FAILED: //p;}')
	# Exit 1 means both "not recent" and "could not read": only the full
	# report (down to its Recent cycles line) tells them apart.
	if [ -z "$last" ] || [ -z "$pending" ] || ! printf '%s\n' "$out" | grep -q '^Recent cycles'; then
		critical+=("cannot read the sync status (exit $rc): ${err:-no output}")
	elif [ "$last" = never ]; then
		critical+=("no sync has ever succeeded")
	elif [ $rc -eq 0 ] && [ -n "$age" ]; then
		: # recent
	elif [ $rc -eq 1 ] && [ -n "$age" ]; then
		warning+=("last successful sync $age ago, over $threshold${last_error:+; last cycle failed: $last_error}")
	else
		critical+=("cannot read the sync status (exit $rc): ${err:-unexpected output}")
	fi
	if [ -n "$out" ]; then
		details+=("" "$syncworker --status:" "$out")
	fi
fi

summary=""
if [ -n "$age" ]; then
	summary="last successful sync $age ago, $pending pending rows"
fi

join() {
	local s=$1 m
	shift
	for m in "$@"; do
		s="$s; $m"
	done
	echo "$s"
}
if [ ${#critical[@]} -gt 0 ]; then
	echo "CRITICAL: $(join "${critical[@]}" "${warning[@]}")"
	code=2
elif [ ${#warning[@]} -gt 0 ]; then
	echo "WARNING: $(join "${warning[@]}")"
	code=1
else
	echo "OK: ${units[*]} active; $summary"
	code=0
fi
printf '%s\n' "${details[@]}"
exit $code
