# shellcheck shell=bash
# tests/lib/tally.sh — sourced: runs test scripts that each end with a
# line "N passed, N failed" and adds them up in tally_pass and tally_fail
# (the last script's own counts: tally_p and tally_f).
# A script that prints no such line counts as one failure, and so does one
# that exits non-zero while claiming no failure.
# TALLY_KEEP (an extended regex), if set, picks lines of each script's
# output to append to the file TALLY_KEEP_FILE (measurements to repeat at
# the end).

tally_pass=0
tally_fail=0
tally_p=0
tally_f=0

# tally_run NAME CMD [ARG...]: runs CMD, its output shown as it comes.
tally_run() {
	local name=$1 log rc line p f
	shift
	log=$(mktemp)
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -n "${TALLY_KEEP:-}" ]; then
		grep -E "$TALLY_KEEP" "$log" >>"$TALLY_KEEP_FILE"
	fi
	rm -f "$log"
	if [ -z "$line" ]; then
		echo "--- $name: exited $rc without a result line"
		p=0 f=1
	else
		p=${line%% passed*}
		f=${line#* passed, }
		f=${f%% failed*}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "--- $name: exited $rc"
			f=1
		fi
	fi
	tally_p=$p tally_f=$f
	tally_pass=$((tally_pass + p))
	tally_fail=$((tally_fail + f))
}

# tally_end: the sum as one result line; exits 0 if nothing failed.
tally_end() {
	echo "$tally_pass passed, $tally_fail failed"
	[ "$tally_fail" -eq 0 ]
}
