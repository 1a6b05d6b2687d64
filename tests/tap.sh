# tap.sh: the Test Anything Protocol for the shell tests (sourced, not
# run), as automake's tap-driver.sh reads it. POSIX sh, so that the plain
# sh tests and the lab's bash ones (through tests/lab/lab.sh) share it.
#
# A test calls tap_result, is, like, unlike or tap_skip once per check,
# and tap_done at the end: the plan follows the tests, and tap_done's
# status is the script's. TAP_ON_FAILURE names a command that tap_done
# runs first when a check failed (the lab prints its daemons' logs).
# shellcheck shell=sh

_tap_n=0
_tap_failed=0
_tap_planned=

# tap_skip_all REASON: the whole script is skipped (the driver reads
# "1..0 # SKIP").
tap_skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

# tap_result STATUS DESCRIPTION [GOT]: one check, passed when STATUS is
# 0; on failure each line of GOT is shown as a "# got: " comment.
tap_result() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		_tap_failed=$((_tap_failed + 1))
		echo "not ok $_tap_n - $2"
		printf '%s\n' "${3:-(nothing)}" | sed 's/^/# got: /'
	fi
}

# tap_skip DESCRIPTION REASON: a check that cannot run here.
tap_skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1 # SKIP $2"
}

# is GOT EXPECTED DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then tap_result 0 "$3"; else
		tap_result 1 "$3" "$1
expected: $2"; fi
}

# like TEXT ERE DESCRIPTION: some line of TEXT matches ERE.
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then tap_result 0 "$3"; else
		tap_result 1 "$3" "$1
expected a line matching: $2"; fi
}

# unlike TEXT ERE DESCRIPTION: no line of TEXT matches ERE.
unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		tap_result 1 "$3" "$1
expected no line matching: $2"; else tap_result 0 "$3"; fi
}

# diag TEXT...: TAP comments, one per line.
diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

# tap_done: the trailing plan; true when every check passed.
tap_done() {
	[ "$_tap_failed" -eq 0 ] || ${TAP_ON_FAILURE:-:}
	echo "1..$_tap_n"
	_tap_planned=1
	[ "$_tap_failed" -eq 0 ]
}
