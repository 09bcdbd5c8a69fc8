#!/bin/bash
# Run once by the postgres image's entrypoint when the data volume is first initialised (sourced, in its bash):
# the roles and databases of the system (rakuten) and of Temporal (temporal, temporal_visibility). Passwords come
# from the container's environment (see docker-compose.yml). Each database is owned by its role, which may then
# create tables in its public schema.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v rakuten_password="${RAKUTEN_DB_PASSWORD:?}" -v temporal_password="${TEMPORAL_DB_PASSWORD:?}" <<'SQL'
CREATE ROLE rakuten LOGIN PASSWORD :'rakuten_password';
CREATE DATABASE rakuten OWNER rakuten;
CREATE ROLE temporal LOGIN PASSWORD :'temporal_password';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
SQL
