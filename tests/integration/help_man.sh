#!/usr/bin/env bash
# `fleetop CMD --help` and man/fleetop.1 tell of the same options: for each
# command `fleetop --help` lists, every option any of its --help texts names
# is in its man section, and every option its man section documents is in
# `fleetop CMD --help` itself (lib/help_man.py, which first proves on texts
# of its own that it finds differences both ways). Every --help exits 0.
# And the console's --timeout is the connect timeout, as both now say (it
# was taken for the theme).
# ctest: smoke
source "$(dirname "$0")/lib/common.sh"
ORACLE=$SRC/tests/integration/lib/help_man.py
check "help_man.py --self-test" python3 "$ORACLE" --self-test
set +e
python3 "$ORACLE" --man "$SRC/man/fleetop.1" --bin "$FLEETOP" > "$T/diff" 2>&1
rc=$?
set -e
cat "$T/diff"
check "every --help exits 0 and agrees with man/fleetop.1 (exit $rc)" [ "$rc" = 0 ]
check "all eleven commands compared" [ "$(grep -c ' options in --help, ' "$T/diff")" = 11 ]

# A man page that drops an option, and one that documents one too many:
# the oracle says so (exit 1) and names it.
sed 's/^\.BI \\-\\-limit " N"$/.BI \\-\\-limmit " N"/' "$SRC/man/fleetop.1" > "$T/broken.1"
check "the broken copy differs" bash -c "! cmp -s '$SRC/man/fleetop.1' '$T/broken.1'"
set +e
python3 "$ORACLE" --man "$T/broken.1" --bin "$FLEETOP" > "$T/diff2" 2>&1
rc=$?
set -e
check "a man page without events' --limit: exit 1 ($rc)" [ "$rc" = 1 ]
check "it names --limit missing from the man page" \
	grep -q "^events: --limit is in 'fleetop events --help' but not in its man section" "$T/diff2"
check "it names --limmit missing from --help" \
	grep -q "^events: --limmit is in its man section but not in 'fleetop events --help'" "$T/diff2"

export FLEETOP_HOME=$T/home
mkdir -p "$FLEETOP_HOME"
echo "box ansible_host=127.0.0.1 ansible_port=1" > "$FLEETOP_HOME/fleet.conf"
set +e
"$FLEETOP" console --timeout soon < /dev/null > "$T/out" 2> "$T/err"
rc=$?
set -e
check "console --timeout soon: exit 2" [ "$rc" = 2 ]
check "console --timeout is read as a duration ($(cat "$T/err"))" grep -q -- "--timeout 'soon' is not a duration" "$T/err"
finish
