#!/usr/bin/env bash
# Mutation run for unload safety: applies each Tests/Mutants/*.patch, one at a time, to a scratch
# copy of the committed tree (git archive HEAD; the working tree is never touched), builds it, and
# runs the checks listed for it in mutants.txt. A mutant is killed when one of its checks catches
# it: a `test:` filter fails (or crashes), a `stress:` run of the mutant's `tenon stress` (debug
# build; the check's arguments, comma-separated) fails, or a `model:` refute case of
# Models/check.sh finds the violation. `equivalent:` mutants are reported apart: the model's exhaustive search shows the step
# is not needed for safety (see docs/stress.md).
# First the unmutated copy must pass every listed test and stress run (else the run is meaningless).
#   bash Tests/Mutants/run.sh            # all mutants
#   bash Tests/Mutants/run.sh NAME...    # some
# Output: one line per mutant, then "killed K/N". Exit 0 iff every non-equivalent mutant is killed.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/tenon-mutants.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
tree="$scratch/tree"
mkdir -p "$tree"
git -C "$root" archive HEAD | tar -x -C "$tree"
build="$scratch/build"
# Reuse the resolved dependencies of the caller's tree, if any (no network needed then).
mkdir -p "$build"
for f in checkouts repositories workspace-state.json; do
	[[ -e "$root/.build/$f" ]] && cp -r "$root/.build/$f" "$build/"
done
[[ -f "$root/Package.resolved" ]] && cp "$root/Package.resolved" "$tree/"

swift_build() { (cd "$tree" && swift build --build-tests --scratch-path "$build" >"$scratch/build.log" 2>&1); }
# test FILTER -> 0 if the filtered tests pass
run_test() {
	(cd "$tree" && timeout 300 swift test --skip-build --scratch-path "$build" --filter "$1" \
		>"$scratch/test.log" 2>&1) && grep -q "Test run with [1-9][0-9]* tests\? .*passed" "$scratch/test.log"
}
# stress ARGS -> 0 if `tenon stress ARGS` (ARGS comma-separated) passes
run_stress() {
	(cd "$tree" && timeout 300 "$build/debug/tenon" stress ${1//,/ } >"$scratch/stress.log" 2>&1)
}
# model CASE -> 0 if Models/check.sh's case CASE met its expectation
run_model() { CHECK_ONLY="$1" bash "$tree/Models/check.sh" >"$scratch/model.log" 2>&1; }

mapfile -t table < <(grep -v '^#' "$here/mutants.txt" | grep -v '^[[:space:]]*$')
wanted=("$@")
start=$SECONDS

echo "building the unmutated tree..."
if ! swift_build; then tail -n 30 "$scratch/build.log"; echo "unmutated tree does not build"; exit 2; fi
baseline_ok=1
for row in "${table[@]}"; do
	for check in ${row#* }; do
		case $check in
		test:*) run_test "${check#test:}" || { echo "UNMUTATED FAIL: $check"; baseline_ok=0; } ;;
		stress:*) run_stress "${check#stress:}" || { echo "UNMUTATED FAIL: $check"; tail -n 5 "$scratch/stress.log"; baseline_ok=0; } ;;
		esac
	done
done
[[ $baseline_ok == 1 ]] || { echo "the unmutated tree fails its own checks"; exit 2; }
echo "unmutated tree: every listed test and stress run passes"

killed=0; total=0; equivalent=0; survived=()
for row in "${table[@]}"; do
	name=${row%% *}
	if (( ${#wanted[@]} )) && [[ ! " ${wanted[*]} " == *" $name "* ]]; then continue; fi
	checks=${row#* }
	t0=$SECONDS
	if ! (cd "$tree" && patch -s -p1 <"$here/$name.patch"); then echo "$name: patch does not apply"; survived+=("$name"); total=$((total + 1)); continue; fi
	by=(); missed=(); equiv=""
	needs_build=0
	for check in $checks; do [[ $check == test:* || $check == stress:* ]] && needs_build=1; done
	if (( needs_build )) && ! swift_build; then
		echo "$name: mutant does not build"; tail -n 5 "$scratch/build.log"
	else
		for check in $checks; do
			case $check in
			test:*) if run_test "${check#test:}"; then missed+=("$check"); else by+=("$check"); fi ;;
			stress:*) if run_stress "${check#stress:}"; then missed+=("$check"); else by+=("$check"); fi ;;
			model:*) if run_model "${check#model:}"; then by+=("$check"); else missed+=("$check"); fi ;;
			equivalent:*) if run_model "${check#equivalent:}"; then equiv=${check#equivalent:}; else missed+=("$check"); fi ;;
			esac
		done
	fi
	(cd "$tree" && patch -s -R -p1 <"$here/$name.patch")
	if [[ -n $equiv ]]; then
		equivalent=$((equivalent + 1))
		echo "$name: EQUIVALENT (model case $equiv: no violation without this step) [$((SECONDS - t0))s]"
		continue
	fi
	total=$((total + 1))
	if (( ${#by[@]} )); then
		killed=$((killed + 1))
		echo "$name: KILLED by ${by[*]}${missed:+ (survived: ${missed[*]})} [$((SECONDS - t0))s]"
	else
		survived+=("$name")
		echo "$name: SURVIVED ${missed[*]} [$((SECONDS - t0))s]"
	fi
done
echo "killed $killed/$total${equivalent:+, equivalent $equivalent}; $((SECONDS - start))s"
(( ${#survived[@]} == 0 ))
