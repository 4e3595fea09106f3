#!/usr/bin/env bash
# Model-check Models/barrier.pml with spin. Exhaustive searches only (no bitstate).
#   pass cases:   must finish with "errors: 0" and a complete search
#   refute cases: must find an assertion violation; the shortest trail (BFS) is summarised
# All spin/pan/gcc output lives in a temp dir, removed on exit. Exit status 0 iff all expected.
#   CHECK_ONLY=NAME  run only case NAME (Tests/Mutants/run.sh uses it); this also reaches the
#                    equivalence cases no-fence-b / no-fence-c, which a plain run skips (each is
#                    a full TSO search, over a minute on a loaded 2-vCPU machine).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
model="$here/barrier.pml"

for tool in spin gcc; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "check.sh: '$tool' is not installed; install it (Debian/Ubuntu: apt-get install -y spin gcc)" >&2
		echo "0 passed, 1 failed"
		exit 2
	fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/tenon-spin.XXXXXX")
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
start=$SECONDS

# build NAME "SPIN_FLAGS" "CC_FLAGS": spin -a + gcc in $work/NAME (word splitting of flags intended)
build() {
	local dir="$work/$1"
	mkdir -p "$dir"
	cp "$here/${model_file:-barrier.pml}" "$dir/barrier.pml"
	# shellcheck disable=SC2086
	(cd "$dir" && spin -a $2 barrier.pml >spin.log 2>&1 && gcc -w -O2 $3 -o pan pan.c >gcc.log 2>&1) || {
		echo "  build failed:"; cat "$dir/spin.log" "$dir/gcc.log" 2>/dev/null | sed 's/^/    /'
		return 1
	}
}

# run NAME "PAN_FLAGS": runs pan, output in $work/NAME/pan.out; pan's exit status is not meaningful
run() {
	local dir="$work/$1" t0=$SECONDS
	# shellcheck disable=SC2086
	(cd "$dir" && ./pan $2 >pan.out 2>&1) || true
	echo "  pan $2: $((SECONDS - t0))s"
}

errors_of() { sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$work/$1/pan.out" | head -n1; }

incomplete() { grep -Eq 'max search depth too small|out of memory|aborted' "$work/$1/pan.out"; }

show_stats() {
	grep -E 'State-vector|states, stored|transitions \(' "$work/$1/pan.out" | sed 's/^ */  /'
}

ok()   { echo "  PASS: $1"; passed=$((passed + 1)); }
fail() { echo "  FAIL: $1"; failed=$((failed + 1)); }

# selected NAME: true if this run includes case NAME
selected() { [[ -z ${CHECK_ONLY:-} || ${CHECK_ONLY} == "$1" ]]; }

# expect_pass NAME DESCRIPTION SPIN_FLAGS CC_FLAGS PAN_FLAGS
expect_pass() {
	selected "$1" || return 0
	model_file=${6:-barrier.pml}
	echo "== $1: $2"
	if ! build "$1" "$3" "$4"; then fail "$1 (build)"; return; fi
	run "$1" "$5"
	local e; e=$(errors_of "$1")
	show_stats "$1"
	if [[ "$e" == "0" ]] && ! incomplete "$1"; then
		ok "$1: 0 errors, search complete"
	else
		sed 's/^/    /' "$work/$1/pan.out" | head -n 40
		fail "$1: expected 0 errors and a complete search (errors: ${e:-?})"
	fi
}

# Trail summary: only steps that touch shared state, plus the unloader's scan reads.
summarise_trail() {
	local dir="$work/$1"
	# shellcheck disable=SC2086
	(cd "$dir" && spin $2 -t -p barrier.pml >trail.txt 2>&1) || true
	awk -v ncpu=2 '
		/\[printf\(/ { next }
		/unloader: CPU/ { sub(/^ */, ""); printf "         %-8s  (%s)\n", "", $0; next }
		/assertion violated/ && /spin:/ { print "  >>> " $0; next }
		/^ *[0-9]+:\tproc/ {
			if ($0 ~ /:init:/) next
			stmt = $0; sub(/^.*\t\[/, "", stmt); sub(/\]$/, "", stmt)
			if (stmt !~ /parity|table|mapped|nest\[|sb_val\[|assert|depth\[|publishedB/) next
			if (stmt ~ /^\(\(k<|^\(\(n<|^\(\(nest\[/) next   # scan reads are shown by the printf
			step = $1; sub(/:$/, "", step)
			pid = $3
			who = ($0 ~ /unloader/) ? "unloader" : "CPU" (pid - 1)
			where = $0; sub(/^.*barrier\.pml:/, "", where); sub(/ .*/, "", where)
			note = ""
			if (who != "unloader") note = (stmt ~ /(^|[^a-z_])n[pth]([^a-z_]|$)/) ? "nested" : "outer"
			if (stmt ~ /^sb_val\[c\] =/) note = note ", MARK sits in store buffer"
			if (stmt ~ /^nest\[sb_i/) note = "buffer drains"
			printf "  %5s  %-8s  %-40s line %-4s %s\n", step, who, stmt, where, note
		}
	' "$dir/trail.txt"
}

# expect_refute NAME DESCRIPTION SPIN_FLAGS CC_FLAGS PAN_FLAGS
expect_refute() {
	selected "$1" || return 0
	model_file=${6:-barrier.pml}
	echo "== $1: $2"
	if ! build "$1" "$3" "$4"; then fail "$1 (build)"; return; fi
	run "$1" "$5"
	local e; e=$(errors_of "$1")
	show_stats "$1"
	if [[ -n "$e" && "$e" -ge 1 ]] && grep -q 'assertion violated' "$work/$1/pan.out" \
	   && [[ -f "$work/$1/barrier.pml.trail" ]]; then
		grep -m1 'assertion violated' "$work/$1/pan.out" | sed 's/^/  /'
		echo "  refuted as expected; counterexample (shortest, shared-state steps only):"
		summarise_trail "$1" "$3"
		ok "$1: assertion violation found (errors: $e)"
	else
		sed 's/^/    /' "$work/$1/pan.out" | head -n 40
		fail "$1: expected spin to find an assertion violation (errors: ${e:-?})"
	fi
}

echo "spin: $(spin -V 2>&1 | head -n1)"
echo "models: $model, $here/scoped.pml"

expect_pass   safety-sc      "correct read side, sequential consistency: plugin code only runs while mapped" \
	"" "-DSAFETY -DNOFAIR" "-m10000 -w24"
expect_pass   progress-sc    "unloader always finishes (LTL <> unloaded, weak fairness, one unload cycle)" \
	"-DCHECK_PROGRESS -DNCYCLES=1" "" "-a -f -m10000 -w24"
expect_refute mark-after-load "broken read side (load handler, then mark) must be refuted" \
	"-DMARK_AFTER_LOAD" "-DSAFETY -DBFS" "-w22"
expect_pass   safety-tso     "correct read side, TSO store buffers, membarrier drains them" \
	"-DTSO" "-DSAFETY -DNOFAIR" "-m10000 -w25"
expect_refute tso-no-membarrier "TSO without the unloader's heavy barrier must be refuted" \
	"-DTSO -DNO_MEMBARRIER" "-DSAFETY -DBFS" "-w22"
expect_pass   safety-fenced-reader "fenced read side (no membarrier): reader fences after MARK, TSO" \
	"-DTSO -DNO_MEMBARRIER -DFENCED_READER -DNNEST=0" "-DSAFETY -DNOFAIR" "-m10000 -w24"

# One refutation per barrier step: each is a mutant of that step alone (see Tests/Mutants).
expect_refute no-fence-a     "unloader without heavy fence 2 (after unpublish) must be refuted (TSO)" \
	"-DTSO -DNO_FENCE_A -DNNEST=0" "-DSAFETY -DBFS" "-w22"
expect_refute fenced-reader-no-fence "fenced read side without the reader's fence must be refuted" \
	"-DTSO -DNO_MEMBARRIER -DFENCED_READER -DNO_READER_FENCE" "-DSAFETY -DBFS" "-w22"
expect_refute no-straggler-scan "unloader skipping the straggler drain (step 3) must be refuted" \
	"-DNO_STRAGGLER_SCAN" "-DSAFETY -DBFS" "-w22"
expect_refute no-main-scan   "unloader skipping the main drain (step 6) must be refuted" \
	"-DNO_MAIN_SCAN" "-DSAFETY -DBFS" "-w22"
expect_refute scan-skips-last "drain that never reads the last CPU's slot must be refuted" \
	"-DSCAN_SKIPS_LAST" "-DSAFETY -DBFS" "-w22"
expect_refute unmark-clears  "exit that clears the slot instead of restoring the nested-over section" \
	"-DUNMARK_CLEARS" "-DSAFETY -DBFS" "-w22"

# Per-owner grace periods (scoped.pml): which CPUs an unload of one plugin may skip.
expect_pass   scoped-safety  "per-owner drain skips only depth-1 sections on lines the owner never had" \
	"" "-DSAFETY -DNOFAIR" "-m10000 -w22" scoped.pml
expect_refute scoped-any-depth "skipping by line alone, ignoring nested sections, must be refuted" \
	"-DSKIP_ANY_DEPTH" "-DSAFETY -DBFS" "-w22" scoped.pml
expect_refute scoped-any-line "skipping every depth-1 section, ignoring shared lines, must be refuted" \
	"-DSKIP_ANY_LINE" "-DSAFETY -DBFS" "-w22" scoped.pml

# Equivalence (only with CHECK_ONLY): without heavy fence 5 or 7 the exhaustive TSO search still
# finds no violation; fence 2 alone orders every mark a stale handler load depends on.
if [[ -n ${CHECK_ONLY:-} ]]; then
	expect_pass no-fence-b "without heavy fence 5 (after the flip): still safe under TSO" \
		"-DTSO -DNO_FENCE_B" "-DSAFETY -DNOFAIR" "-m10000 -w25"
	expect_pass no-fence-c "without heavy fence 7 (after the main drain): still safe under TSO" \
		"-DTSO -DNO_FENCE_C" "-DSAFETY -DNOFAIR" "-m10000 -w25"
fi

echo "total time: $((SECONDS - start))s"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 && $passed -gt 0 ]]
