# shellcheck shell=bash
# Source me. gamedig_query TYPE HOST PORT prints the JSON that the gamedig
# CLI (npm, tests/clients) answers for exactly HOST:PORT, and fails when
# gamedig reports an error or takes over 20 s. The CLI itself exits 0 and
# prints {"error": ...} on failure, hence the check.
GAMEDIG=${GAMEDIG:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/clients/node_modules/.bin/gamedig}

gamedig_query() { # type host port
	local out
	if [ ! -x "$GAMEDIG" ]; then
		echo "gamedig_query: $GAMEDIG missing (npm install in tests/clients)" >&2
		return 1
	fi
	# --givenPortOnly: otherwise gamedig also tries the game's default port.
	out=$(timeout 20 "$GAMEDIG" --type "$1" --givenPortOnly \
		--socketTimeout 2000 --maxRetries 2 "$2:$3" </dev/null) || {
		echo "gamedig_query: gamedig failed or timed out on $2:$3" >&2
		return 1
	}
	if ! printf '%s' "$out" | python3 -c 'import json, sys; sys.exit("error" in json.load(sys.stdin))'; then
		echo "gamedig_query: $1 $2:$3: $out" >&2
		return 1
	fi
	printf '%s\n' "$out"
}
