#!/usr/bin/env bash
# Installs what `npm run bench` drives and compares against (dnsperf, NSD, Unbound, dnsmasq); does nothing when present.
set -euo pipefail

required=(dnsperf nsd unbound dnsmasq)
packages=(dnsperf nsd unbound dnsmasq-base)

missing=()
for b in "${required[@]}"; do
  # nsd, unbound and dnsmasq live in sbin, which is not on every user's PATH.
  if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$b" >/dev/null 2>&1; then missing+=("$b"); fi
done
if [[ ${#missing[@]} -eq 0 ]]; then exit 0; fi
echo "bench/setup: missing: ${missing[*]}" >&2
if [[ "$(id -u)" -ne 0 ]]; then
  echo "bench/setup: not root; install them with: sudo apt-get install -y ${packages[*]}" >&2
  exit 1
fi
# policy-rc.d exit 101: the packages' postinst must not start system daemons; the bench starts its own on loopback.
policy=/usr/sbin/policy-rc.d
created=0
if [[ ! -e "$policy" ]]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; created=1; fi
trap '[[ $created -eq 1 ]] && rm -f "$policy"' EXIT
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"
echo "bench/setup: installed ${packages[*]}" >&2
