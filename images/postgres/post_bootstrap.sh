#!/usr/bin/env bash
# Patroni runs this once, on the member that initialises the cluster: the app's role and database.
set -euo pipefail
psql "$1" -v ON_ERROR_STOP=1 <<'SQL'
CREATE ROLE app LOGIN PASSWORD 'app';
CREATE DATABASE orders OWNER app;
-- The lab's probes write here; kept apart from the app's tables.
CREATE DATABASE probes OWNER app;
SQL
