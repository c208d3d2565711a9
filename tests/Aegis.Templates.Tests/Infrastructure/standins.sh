#!/usr/bin/env bash
# Local stand-ins for the base images the generated Dockerfile and compose files name, for machines that reach no
# image registry: mcr.microsoft.com/dotnet/sdk:10.0, mcr.microsoft.com/dotnet/aspnet:10.0, postgres:15 (also named
# postgres:17, for files that fix that tag) and haproxy:3.2, made from a debootstrap Debian 12 (minbase) with this
# machine's own .NET, Debian's postgresql-15 and Debian's haproxy (2.6). The container tests
# (ContainerTests, Infrastructure/Podman.cs) run this with podman pointed at their own storage; the generated
# project's files stay exactly what users run against the real images. The SDK's is named sdk-standin here: Podman.cs
# names it mcr.microsoft.com/dotnet/sdk:10.0 once it also serves this run's Aegis packages, as nuget.org serves them.
#
#   standins.sh CACHE_DIR     builds what is missing, reuses what is cached, prints one line per image
#
# Cached in CACHE_DIR, outside the repository: the Debian root filesystems (keyed by their recipe below, so only a
# change of it repeats debootstrap), and the images themselves in podman's storage, labelled with a key made of this
# file, the .NET on this machine, its CA bundle and its NuGet settings; a changed key rebuilds only the images.
set -euo pipefail

cache=$1
mirror=${AEGIS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
dotnet_root=${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}
ca_bundle=/etc/ssl/certs/ca-certificates.crt
nuget_config=$HOME/.nuget/NuGet/NuGet.Config
revocation=${NUGET_CERT_REVOCATION_MODE:-}
runtime_version=$(ls "$dotnet_root/shared/Microsoft.NETCore.App" | sort -V | tail -n 1)
aspnet_version=$(ls "$dotnet_root/shared/Microsoft.AspNetCore.App" | sort -V | tail -n 1)
sdk_version=$(ls "$dotnet_root/sdk" | sort -V | tail -n 1)

# What the root filesystems are made of: changing it repeats debootstrap (minutes); changing anything else in this
# file only rebuilds the images from the cached root filesystems.
suite=bookworm base_packages=ca-certificates,libicu72,tzdata server_packages=postgresql-15 proxy_packages=haproxy
recipe=$(echo "$suite minbase $base_packages | $server_packages | $proxy_packages" | sha256sum | cut -c 1-16)
key=$( { cat "$0"; echo "$dotnet_root $sdk_version $runtime_version $aspnet_version $revocation"; cat "$ca_bundle";
         cat "$nuget_config" 2>/dev/null || true; } | sha256sum | cut -c 1-16)

# The SDK's own stand-in; Podman.cs puts this run's library packages on top of it under the real name.
sdk=localhost/aegis/sdk-standin:10.0
aspnet=mcr.microsoft.com/dotnet/aspnet:10.0
postgres=docker.io/library/postgres:15
postgres_alias=docker.io/library/postgres:17
haproxy=docker.io/library/haproxy:3.2

cached() { [ "$(podman image inspect --format '{{index .Labels "aegis.standin"}}' "$1" 2>/dev/null)" = "$key" ]; }
if cached "$sdk" && cached "$aspnet" && cached "$postgres" && cached "$postgres_alias" && cached "$haproxy"; then
  echo "stand-ins: cached ($key)"
  exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/build-XXXXXX")
trap 'rm -rf "$work"' EXIT

# Debian 12 minbase plus what the real .NET images carry for .NET itself; apt's downloads and lists removed.
# $1: name, $2: the rootfs tarball it starts from (empty: debootstrap), $3: extra packages.
rootfs() {
  local tarball=$cache/rootfs-$1-$recipe.tar root=$work/rootfs-$1
  if [ -f "$tarball" ]; then echo "$tarball"; return; fi
  if [ -z "$2" ]; then
    debootstrap --variant=minbase --include="$base_packages" "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
      { cat "$work/debootstrap.log" >&2; return 1; }
  else
    mkdir "$root" && tar -C "$root" -xf "$2"
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod +x "$root/usr/sbin/policy-rc.d"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    chroot "$root" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $3" \
      >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; return 1; }
    rm "$root/usr/sbin/policy-rc.d"
  fi
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball" && rm -rf "$root"
  echo "$tarball"
}

base=$(rootfs base "" "")
server=$(rootfs postgres "$base" "$server_packages")
proxy=$(rootfs haproxy "$base" "$proxy_packages")
rm -f $(ls "$cache"/rootfs-*.tar | grep -v -- "-$recipe.tar") # tarballs of an older recipe

# $1: image name, $2: root folder; the rest: podman import --change instructions.
import() {
  local name=$1 root=$2
  shift 2
  local changes=(--change "LABEL aegis.standin=$key" --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
  for change in "$@"; do changes+=(--change "$change"); done
  tar -C "$root" -c . | podman import --quiet "${changes[@]}" - "$name" >/dev/null
  rm -rf "$root"
  echo "stand-in: $name ($key)"
}

# As the real .NET images: .NET in /usr/share/dotnet, the user app (uid 1654) and APP_UID, the default port 8080
# (ASPNETCORE_HTTP_PORTS, which the generated Dockerfile must override).
dotnet_image() { # $1: root folder, $2…: what of $dotnet_root it carries
  local root=$1
  shift
  mkdir "$root" && tar -C "$root" -xf "$base"
  mkdir -p "$root/usr/share/dotnet"
  for part in "$@"; do cp -a "$dotnet_root/$part" "$root/usr/share/dotnet/"; done
  ln -s /usr/share/dotnet/dotnet "$root/usr/bin/dotnet"
  chroot "$root" sh -c 'groupadd --gid=1654 app && useradd --uid=1654 --gid=1654 --create-home app'
}
runtime_env=("ENV APP_UID=1654" "ENV ASPNETCORE_HTTP_PORTS=8080" "ENV DOTNET_RUNNING_IN_CONTAINER=true"
  "ENV DOTNET_VERSION=$runtime_version" "ENV ASPNET_VERSION=$aspnet_version")

dotnet_image "$work/aspnet" dotnet host shared
import "$aspnet" "$work/aspnet" "${runtime_env[@]}"

# The SDK builds the image and restores from this machine's package feed: it carries this machine's CA bundle, its
# NuGet.Config and its NUGET_CERT_REVOCATION_MODE.
dotnet_image "$work/sdk" dotnet host shared sdk packs sdk-manifests templates
rm -rf "$work/sdk/etc/ssl/certs" && cp -rL /etc/ssl/certs "$work/sdk/etc/ssl/certs"
if [ -f "$nuget_config" ]; then mkdir -p "$work/sdk/root/.nuget/NuGet" && cp "$nuget_config" "$work/sdk/root/.nuget/NuGet/"; fi
sdk_env=("ENV DOTNET_SDK_VERSION=$sdk_version" "ENV DOTNET_NOLOGO=true" "ENV DOTNET_USE_POLLING_FILE_WATCHER=true"
  "ENV NUGET_XMLDOC_MODE=skip" "ENV DOTNET_CLI_TELEMETRY_OPTOUT=1")
if [ -n "$revocation" ]; then sdk_env+=("ENV NUGET_CERT_REVOCATION_MODE=$revocation"); fi
import "$sdk" "$work/sdk" "${runtime_env[@]}" "${sdk_env[@]}"

# postgres:17's interface, on Debian's PostgreSQL 15: POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB on first start,
# data in /var/lib/postgresql/data, the server run as the postgres user, listening on every address with passwords,
# the scripts of /docker-entrypoint-initdb.d on first start, and a command of options only (`-c fsync=off`, as
# Testcontainers gives) taken as the server's.
mkdir "$work/postgres" && tar -C "$work/postgres" -xf "$server"
rm -rf "$work/postgres/var/lib/postgresql/15" "$work/postgres/etc/postgresql/15/main"
cat >"$work/postgres/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/bash
set -euo pipefail
: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}"
if [ "${1:0:1}" = - ]; then set -- postgres "$@"; fi # options only (Testcontainers' -c …) are the server's
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  [ -n "${POSTGRES_PASSWORD:-}" ] || { echo "POSTGRES_PASSWORD must be set" >&2; exit 1; }
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile=<(printf '%s' "$POSTGRES_PASSWORD") -E UTF8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    echo "CREATE DATABASE \"$POSTGRES_DB\";" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  # The scripts of /docker-entrypoint-initdb.d, on a server that listens on its socket only: *.sh sourced, *.sql run.
  if compgen -G "/docker-entrypoint-initdb.d/*" >/dev/null; then
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    for script in /docker-entrypoint-initdb.d/*; do
      case "$script" in
        *.sh) . "$script" ;;
        *.sql) psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -f "$script" ;;
      esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  echo "PostgreSQL init process complete; ready for start up."
fi
exec "$@" -c listen_addresses='*'
EOF
chmod +x "$work/postgres/usr/local/bin/docker-entrypoint.sh"
import "$postgres" "$work/postgres" "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/postgresql/15/bin" \
  "ENV PGDATA=/var/lib/postgresql/data" 'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["postgres"]' "STOPSIGNAL SIGINT" "EXPOSE 5432"
podman tag "$postgres" "$postgres_alias"

# haproxy:3.2's interface, on Debian's HAProxy 2.6: the configuration in /usr/local/etc/haproxy/haproxy.cfg, run in the
# foreground as the haproxy user, stopped gracefully by SIGUSR1.
mkdir "$work/haproxy" && tar -C "$work/haproxy" -xf "$proxy"
mkdir -p "$work/haproxy/usr/local/etc/haproxy"
import "$haproxy" "$work/haproxy" "USER haproxy" 'CMD ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]' \
  "STOPSIGNAL SIGUSR1"

podman image prune -f >/dev/null # the images these names carried before
