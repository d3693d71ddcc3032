#!/usr/bin/env bash
# `fleetop sim --clock WHEN --truth FILE`: the model's day starts at the
# pinned hour whatever the hour now, the ground truth comes a line a host a
# second and follows the control's changes (what bench/alert-quality judges
# alerts by), a bad --clock is a usage error, and the sim ends cleanly.
# ctest: smoke
source "$(dirname "$0")/lib/common.sh"
start_sim "$T/sim" --hosts 4 --time-scale 60 --clock 2026-12-02T22:00 --truth "$T/truth.log" \
	--flap-every 0
cat "$T/sim.log"
check "the sim says where its model's day starts" \
	grep -q "^fleetop sim: model clock 2026-12-02 22:00:00 UTC (--clock), 60x real time, ground truth in $T/truth.log$" "$T/sim.log"

data_lines() { grep -vc '^#' "$T/truth.log" 2>/dev/null || true; }
for _ in $(seq 100); do [ "$(data_lines)" -ge 8 ] && break; sleep 0.2; done
check "a truth line a host a second ($(data_lines) lines)" [ "$(data_lines)" -ge 8 ]
first=$(grep -v '^#' "$T/truth.log" | head -1)
echo "first: $first"
check "the model's clock starts at 22:00 (model time), not now" \
	bash -c "grep -v '^#' '$T/truth.log' | head -4 | grep -q ' clock=22:0[0-2]:'"
check "every line has each figure" \
	bash -c "! grep -v '^#' '$T/truth.log' | grep -vE '^[0-9]{13} [a-z0-9-]+ clock=[0-9:]{8} cpu=[0-9.]+ tps=([0-9.]+|-) mem=[0-9.]+ disk=[0-9]+ game=(up|down|none) host=(up|down) players=[0-9]+$'"

host=$(awk '/ansible_host=/ {print $1; exit}' "$T/sim/fleet.conf")
echo "cpu $host 95" > "$T/sim/control"
echo "game $host down" > "$T/sim/control"
seen=0
for _ in $(seq 50); do
	if grep " $host " "$T/truth.log" | tail -1 | grep -qE ' cpu=9[45]\.[0-9]+ .* game=down '; then
		seen=1
		break
	fi
	sleep 0.2
done
grep " $host " "$T/truth.log" | tail -2
check "the truth shows $host's CPU held at 95 and its game down" [ "$seen" = 1 ]

set +e
"$FLEETOP" sim --dir "$T/bad" --clock 24:00 > "$T/bad.out" 2> "$T/bad.err"
rc=$?
set -e
check "--clock 24:00: exit 2 and a message saying what is wanted" \
	bash -c "[ $rc = 2 ] && grep -q 'want HH:MM' '$T/bad.err'"
set +e
"$FLEETOP" sim --dir "$T/bad" --truth "$T/no/such/dir/truth" --port $((SIM_PORT + 100)) \
	--hosts 1 > "$T/bad2.out" 2> "$T/bad2.err"
rc=$?
set -e
check "--truth into a missing directory: exit 1, naming the file" \
	bash -c "[ $rc = 1 ] && grep -q '$T/no/such/dir/truth' '$T/bad2.err'"

kill -TERM "$SIM_PID"
set +e
wait "$SIM_PID"
rc=$?
set -e
check "the sim ends cleanly on SIGTERM (exit $rc)" [ "$rc" = 0 ]
finish
