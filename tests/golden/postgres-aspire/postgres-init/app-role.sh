# Run by the postgres service once, when it starts on an empty data volume: creates the role that api, scheduler and
# migrate connect as (DATABASE_USER). It owns the database and is not a superuser, so a flaw in the service reaches
# this database only; the superuser's password (POSTGRES_PASSWORD) stays with the server. To change the role's
# password later: docker compose exec postgres psql -U postgres -c "ALTER ROLE app PASSWORD '…'"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set role="$DATABASE_USER" --set password="$DATABASE_PASSWORD" --set database="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
ALTER DATABASE :"database" OWNER TO :"role";
SQL
