#!/usr/bin/env bash
# Health of the shift bot's deployment (SPEC §8, §9), for cron, a monitoring
# agent (Nagios plugin conventions) or a human. It reads the sync worker's
# machine-readable status (syncworker --status --format=kv, documented in
# README.md "Operations"), never its wording for people.
#
# The first line of output is exactly one of
#   OK: ...        exit 0
#   WARNING: ...   exit 1  a tab is skipped (missing, or missing a header) or
#                          its appends are held (it looks emptied), named; or
#                          rows are pending longer than 3 x the interval, with
#                          the age of the oldest
#   CRITICAL: ...  exit 2  a unit is not active, no sync ever succeeded, the
#                          last success is older than 3 x the interval, rows
#                          are pending longer than a day, or the status
#                          cannot be read
# followed by the details (the units' states and syncworker --status).
#
# Run it as root or as alex12060: the database is readable by its owner only.
# From cron, name it by its full path (cron's PATH lacks /usr/local/bin):
#   */15 * * * * root /usr/local/bin/alex12060-check-sync-health >/dev/null || logger -t alex12060 "sync unhealthy"
#
# Settings (environment, or the flags below):
#   SYNCWORKER_BIN  default /usr/local/bin/alex12060-syncworker
#   DB_PATH         default /var/lib/alex12060/data/reference_data.db  (--db-path)
#   INTERVAL        the worker's --interval in seconds, default 300     (--interval)
#   BOT_UNIT        default alex12060-bot.service
#   WORKER_UNIT     default alex12060-sync-worker.service
#   STATUS_TIMEOUT  seconds to wait for --status, default 60
set -uo pipefail
umask 077 # what it leaves (temporary files) is for no one else

syncworker=${SYNCWORKER_BIN:-/usr/local/bin/alex12060-syncworker}
db_path=${DB_PATH:-/var/lib/alex12060/data/reference_data.db}
interval=${INTERVAL:-300}
units=("${BOT_UNIT:-alex12060-bot.service}" "${WORKER_UNIT:-alex12060-sync-worker.service}")
status_timeout=${STATUS_TIMEOUT:-60}
day=86400 # pending rows older than this are taken for lost to the sheet

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
'' | *[!0-9]* | 0) fail "INTERVAL must be a whole number of seconds above 0, got '$interval'" ;;
esac
limit=$((3 * interval))

# ago SECONDS: a duration for people, e.g. 1d 2h, 3h 5m, 20m 0s, 45s.
ago() {
	local s=$1
	if [ "$s" -ge 86400 ]; then
		echo "$((s / 86400))d $((s % 86400 / 3600))h"
	elif [ "$s" -ge 3600 ]; then
		echo "$((s / 3600))h $((s % 3600 / 60))m"
	elif [ "$s" -ge 60 ]; then
		echo "$((s / 60))m $((s % 60))s"
	else
		echo "${s}s"
	fi
}

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

# --- the worker's status ----------------------------------------------------------
# syncworker --status opens the database read-only, but a missing file is
# reported here, before asking it, in words that say what to do.
summary=""
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
	status=(--status --db-path "$db_path" --interval "$interval")
	out=$("${runner[@]}" "$syncworker" "${status[@]}" --format=kv 2>"$err_file")
	rc=$?
	err=$(head -n 1 "$err_file")
	declare -A kv=()
	while IFS= read -r line; do
		case "$line" in
		[a-z]*=*) kv[${line%%=*}]=${line#*=} ;;
		esac
	done <<<"$out"
	age=${kv[last_success_age_seconds]:-}
	pending=${kv[pending_rows]:-}
	oldest=${kv[oldest_pending_age_seconds]:-0}
	# Exit 1 means "not healthy" as well as "could not read": only a
	# complete answer in the format this script knows tells them apart.
	if [ "$rc" -gt 1 ] || [ "${kv[format]:-}" != 1 ] || [ -z "${kv[state]:-}" ] ||
		! [[ $pending =~ ^[0-9]+$ && $oldest =~ ^[0-9]+$ && $age =~ ^[0-9]*$ ]]; then
		if [ -n "${kv[format]:-}" ] && [ "${kv[format]}" != 1 ]; then
			err="status format ${kv[format]}, this check reads format 1"
		fi
		critical+=("cannot read the sync status (exit $rc): ${err:-${kv[reasons]:-no output}}")
	else
		last_error=${kv[last_cycle_error]:-}
		if [ -z "$age" ]; then
			critical+=("no sync has ever succeeded${last_error:+; last cycle failed: $last_error}")
		elif [ "$age" -gt "$limit" ]; then
			critical+=("last successful sync $(ago "$age") ago, over ${limit}s (3 x the ${interval}s interval)${last_error:+; last cycle failed: $last_error}")
		fi
		if [ "$pending" -gt 0 ] && [ "$oldest" -gt "$day" ]; then
			critical+=("$pending rows pending, the oldest for $(ago "$oldest") (over a day): they are not reaching the sheet")
		elif [ "$pending" -gt 0 ] && [ "$oldest" -gt "$limit" ]; then
			warning+=("$pending rows pending, the oldest for $(ago "$oldest") (over ${limit}s, 3 x the ${interval}s interval)")
		fi
		if [ -n "${kv[skipped_tabs]:-}" ]; then
			warning+=("tab ${kv[skipped_tabs]//,/, } skipped (missing, or missing a header): not synced")
		fi
		if [ -n "${kv[held_tabs]:-}" ]; then
			warning+=("appends to tab ${kv[held_tabs]//,/, } held: it looks emptied (restore it, or syncworker --accept-empty TAB)")
		fi
		# Never report better than the worker judges itself: a problem it
		# learns to see later still reaches the monitoring.
		case "${kv[state]}:${#critical[@]}:${#warning[@]}" in
		critical:0:*) critical+=("${kv[reasons]:-the worker reports critical}") ;;
		warning:0:0) warning+=("${kv[reasons]:-the worker reports a warning}") ;;
		esac
		if [ -n "$age" ]; then
			summary="last successful sync $(ago "$age") ago, $pending pending rows"
		fi
		text=$("${runner[@]}" "$syncworker" "${status[@]}" 2>/dev/null)
		details+=("" "$syncworker --status:" "$text")
	fi
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
