#!/usr/bin/env bash
# Adds an EF Core migration named $1 to the template's shipped migrations, for both providers, after a change to the
# model in content/aegis. Each provider's migration is made the way a user makes one: in a generated project named
# AegisApp (so its namespaces are the template source's), with that project's `make migration`; the provider's
# Migrations/ folder is then copied back into content/aegis. Review the new files like any code.
#
#   eng/add-migration.sh AddSword              # both providers
#   eng/add-migration.sh AddSword postgres     # one of them: sqlite or postgres
set -euo pipefail
name=${1:?usage: eng/add-migration.sh <MigrationName> [sqlite|postgres]}
providers=${2:-sqlite postgres}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet pack "$root/Aegis.Templates.csproj" --output "$work/package" -nologo -v q
dotnet new install "$work"/package/Aegis.Templates.*.nupkg --debug:custom-hive "$work/hive" >/dev/null
for provider in $providers; do
  case $provider in
    sqlite) folder=Sqlite ;;
    postgres) folder=Postgres ;;
    *) echo "Unknown provider '$provider': use sqlite or postgres." >&2; exit 2 ;;
  esac
  project=$work/$provider/AegisApp
  dotnet new aegis --name AegisApp --output "$project" --db-provider "$provider" --debug:custom-hive "$work/hive" >/dev/null
  make -C "$project" --no-print-directory migration name="$name"
  migrations=$root/content/aegis/src/Api/Database/$folder/Migrations
  cp -r "$project/src/Api/Database/$folder/Migrations/." "$migrations/"
  sed -i '1s/^\xEF\xBB\xBF//' "$migrations"/*.cs # dotnet-ef writes a byte-order mark; the template's files have none
  echo "Added $name to content/aegis/src/Api/Database/$folder/Migrations/."
done
