#!/usr/bin/env bash
# Check the dynamic symbols of every built plugin: libtenon-*.so must export
# exactly `tenon_plugin_entry` (FixtureNoEntry: exactly `tenon_plugin_entry_v0`).
# Embedded Swift plugins (libtenon-embedded*.so, libtenon-swift*.so) must also not need the Swift
# runtime (NEEDED only libc/libm) and carry no swift5_* metadata sections.
#
# usage: Plugins/check-exports.sh [BUILD_DIR]   (default: .build/debug)
set -euo pipefail

dir=${1:-.build/debug}
passed=0
failed=0

shopt -s nullglob
libs=("$dir"/libtenon-*.so)
if [ ${#libs[@]} -eq 0 ]; then
    echo "no libtenon-*.so in $dir (build first: swift build)" >&2
    exit 2
fi

for lib in "${libs[@]}"; do
    base=$(basename "$lib")
    problems=()

    expected=tenon_plugin_entry
    [ "$base" = libtenon-fixturenoentry.so ] && expected=tenon_plugin_entry_v0
    exports=$(nm -D --defined-only "$lib" | awk '{print $NF}' | sort | tr '\n' ' ')
    exports=${exports% }
    [ "$exports" = "$expected" ] || problems+=("exports '$exports', expected '$expected'")

    case "$base" in
    libtenon-embedded* | libtenon-swift*)
        needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
        needed=${needed% }
        for n in $needed; do
            case "$n" in
            libc.so.6 | libm.so.6) ;;
            *) problems+=("NEEDED $n") ;;
            esac
        done
        sections=$(readelf -SW "$lib" | grep -o 'swift5_[a-z_]*' | sort -u | tr '\n' ' ' || true)
        [ -z "$sections" ] || problems+=("sections ${sections% }")
        detail="exports: $exports; NEEDED: $needed; swift5_ sections: ${sections:-none}"
        ;;
    *)
        detail="exports: $exports"
        ;;
    esac

    if [ ${#problems[@]} -eq 0 ]; then
        echo "PASS $base ($detail)"
        passed=$((passed + 1))
    else
        echo "FAIL $base: $(IFS=';'; echo "${problems[*]}")"
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
