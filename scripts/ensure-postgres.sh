#!/usr/bin/env bash
# Makes sure PostgreSQL server binaries are installed, so the test suite can start its own
# throwaway cluster (tests/pg_server.py). It deliberately never creates or starts a cluster:
# the tests own the server's lifetime, port and settings.
set -euo pipefail

have_initdb() {
    local candidate
    for candidate in /usr/lib/postgresql/*/bin/initdb; do
        if [[ -x "$candidate" ]]; then
            echo "PostgreSQL binaries found: $(dirname "$candidate")"
            return 0
        fi
    done
    return 1
}

if have_initdb; then
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    echo "PostgreSQL server binaries are missing and installing them needs root." >&2
    echo "Run: sudo apt-get install -y postgresql" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
# policy-rc.d stops Debian's postinst from launching the packaged cluster: it would only
# occupy port 5432 and memory, and the tests never use it.
policy_rc=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e "$policy_rc" ]]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy_rc"
    chmod +x "$policy_rc"
    created_policy=1
fi
cleanup() {
    if [[ "$created_policy" -eq 1 ]]; then
        rm -f "$policy_rc"
    fi
}
trap cleanup EXIT

# Same trick as the official postgres container image: install postgresql-common first and
# switch off the automatic "main" cluster, so installing the server creates no cluster at all.
apt-get install -y --no-install-recommends postgresql-common
createcluster_conf=/etc/postgresql-common/createcluster.conf
if [[ -f "$createcluster_conf" ]]; then
    sed -ri 's/^#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' "$createcluster_conf"
fi
apt-get install -y --no-install-recommends postgresql

if ! have_initdb; then
    echo "apt-get installed postgresql but no initdb was found under /usr/lib/postgresql/*/bin" >&2
    exit 1
fi
