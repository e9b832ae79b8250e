#!/usr/bin/env bash
# Installs the peers the tests drive (dig, kdig, nsd, unbound, unbound-control, openssl, and systemd-analyze for the
# unit-file check; delv and ldns-keygen/ldns-signzone for the signed test tree of the DNSSEC tests; ip, nft and
# iptables for the firewall rule tests; dnsperf for the memory-under-traffic load); does nothing when they are present.
set -euo pipefail

required=(dig kdig nsd nsd-checkzone unbound unbound-control openssl systemd-analyze dnsperf)
packages=(bind9-dnsutils knot-dnsutils nsd unbound openssl systemd dnsperf)
# DNSSEC tests: delv (bind9-dnsutils) validates, ldnsutils signs the test root.
required+=(delv ldns-keygen ldns-signzone)
packages+=(ldnsutils)
# Firewall rule tests (deploy/firewall/) in network namespaces: ip, nft, iptables-restore.
required+=(ip nft iptables-restore ip6tables-restore)
packages+=(iproute2 nftables iptables)
# logrotate: the log sink's rotation test runs the real thing, with and without copytruncate.
required+=(logrotate)
packages+=(logrotate)

missing_bins() {
  local b
  for b in "${required[@]}"; do
    # sbin is not on every user's PATH, but nsd and unbound live there.
    if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$b" >/dev/null 2>&1; then
      printf '%s\n' "$b"
    fi
  done
}

missing="$(missing_bins)"
if [[ -z "$missing" ]]; then
  exit 0
fi

echo "install-peers: missing: $(echo "$missing" | tr '\n' ' ')" >&2

if [[ "$(id -u)" -ne 0 ]]; then
  echo "install-peers: not root; install them with:" >&2
  echo "  sudo apt-get install -y ${packages[*]}" >&2
  exit 1
fi

# policy-rc.d exit code 101 tells invoke-rc.d (used by the packages' postinst) not to start
# nsd or unbound: the tests start their own instances on loopback ports.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  created_policy=1
fi
cleanup() {
  if [[ "$created_policy" -eq 1 ]]; then rm -f "$policy"; fi
}
trap cleanup EXIT

apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"

# Belt and braces: without systemd the postinst may still have spawned a daemon directly.
for svc in nsd unbound; do
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    systemctl disable --now "$svc" >/dev/null 2>&1 || true
  fi
done

missing="$(missing_bins)"
if [[ -n "$missing" ]]; then
  echo "install-peers: still missing after install: $(echo "$missing" | tr '\n' ' ')" >&2
  exit 1
fi
echo "install-peers: installed ${packages[*]}" >&2
