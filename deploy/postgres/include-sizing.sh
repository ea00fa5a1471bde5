#!/bin/sh
# The postgres image runs this once, when it first makes the data directory; the server it then
# starts reads the province's sizing (province.conf, mounted beside it by docker-compose.yml).
set -eu
echo "include '/etc/postgresql/province.conf'" >>"$PGDATA/postgresql.conf"
