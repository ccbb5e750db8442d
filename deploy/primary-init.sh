#!/bin/bash
# Runs once, when the primary's data folder is created: lets the replica stream the WAL.
set -euo pipefail
echo "host replication jobstats all scram-sha-256" >> "$PGDATA/pg_hba.conf"
