#!/usr/bin/env bash
# Validate deploy/docker-compose.yml against the Compose specification. Only the client is on
# these machines (no engine), so `config` is the check; Debian's docker-compose does it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v docker-compose >/dev/null 2>&1; then
  echo "compose-check: installing Debian's docker-compose" >&2
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends docker-compose; } >"$log" 2>&1; then
    cat "$log" >&2
    exit 1
  fi
  rm -f "$log"
fi
file=${COMPOSE_FILE_TO_CHECK:-$here/docker-compose.yml}
POSTGRES_PASSWORD=${POSTGRES_PASSWORD:-check-only} \
HUIYIN_SECRET_KEY=${HUIYIN_SECRET_KEY:-check-only-secret-key-0123456789abcdef} \
HUIYIN_KEK=${HUIYIN_KEK:-Y2hlY2stb25seS1rZWstMDEyMzQ1Njc4OWFiY2RlZg==} \
  docker-compose --project-directory "$here" -f "$file" config "$@"
