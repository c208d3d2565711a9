#!/usr/bin/env bash
# Adds every public symbol the build reports as undeclared (RS0016) to its project's PublicAPI.Unshipped.txt, so that
# a change to the library's public API shows in review as a change to that file. Run it after adding public API on
# purpose; a release moves the Unshipped lines to PublicAPI.Shipped.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
for project in src/Aegis.Hosting/ src/Aegis.Database/ src/Aegis.Database.Sqlite/ src/Aegis.Database.PostgreSQL/; do # dependencies first
  log=$(dotnet build "$project" --no-incremental -v q -nologo 2>&1 || true)
  printf '%s\n' "$log" | grep -F "$PWD/$project" | grep -oE "RS0016: Symbol '[^']+'" | sed -E "s/^RS0016: Symbol '(.*)'$/\1/" | sort -u >>"$project/PublicAPI.Unshipped.txt" || true
  { head -n 1 "$project/PublicAPI.Unshipped.txt"; tail -n +2 "$project/PublicAPI.Unshipped.txt" | sort -u; } >"$project/api.tmp"
  mv "$project/api.tmp" "$project/PublicAPI.Unshipped.txt"
done
