#!/usr/bin/env bash
# Runs one libFuzzer target briefly on a copy of its seed corpus.
set -euo pipefail
bin=$1 seeds=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
exec "$bin" -max_total_time="${FUZZ_SECONDS:-8}" -rss_limit_mb=1024 -timeout=5 "$work"
