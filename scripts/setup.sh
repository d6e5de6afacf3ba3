#!/usr/bin/env bash
# Sets up sipwarden on a Debian 12 machine: system packages, npm packages, the build.
#   scripts/setup.sh           what the daemon needs
#   scripts/setup.sh --test    also what the tests and benchmarks need (attack tools, tshark, fail2ban)
#   scripts/setup.sh --start   set up, then protect this host: config, apply, start the daemon
set -euo pipefail
cd "$(dirname "$0")/.."

RUNTIME_PKGS=(iptables ipset nftables conntrack iproute2 tcpdump ca-certificates)
TEST_PKGS=(sip-tester sipvicious sipsak tshark fail2ban python3 procps kamailio wabt)

want=("${RUNTIME_PKGS[@]}")
[[ "${1:-}" == "--test" ]] && want+=("${TEST_PKGS[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: these Debian packages are missing: ${missing[*]}" >&2
    echo "setup: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer no without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # fail2ban is installed for its test log and fail2ban-regex only; never let it ban on this host.
  if [[ " ${missing[*]} " == *" fail2ban "* ]] && command -v systemctl >/dev/null && systemctl is-active -q fail2ban 2>/dev/null; then
    systemctl disable --now fail2ban >/dev/null 2>&1 || true
  fi
  # kamailio is installed for the HEP test, which starts its own; Debian's unit would start one on
  # every address, port 5060, with the stock config (the sysvinit script keeps RUN_KAMAILIO=no).
  if [[ " ${missing[*]} " == *" kamailio "* ]] && command -v systemctl >/dev/null; then
    systemctl disable --now kamailio >/dev/null 2>&1 || true
  fi
fi

if [[ ! -d node_modules/better-sqlite3/build ]] || [[ package.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: installing npm packages (compiling better-sqlite3 takes about a minute)"
  if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
fi
npm run --silent build
echo "setup: done; bin/sipwarden is ready"

if [[ "${1:-}" == "--start" ]]; then
  bin/sipwarden install
  if [[ ! -d /run/systemd/system ]] && ! bin/sipwarden status --json 2>/dev/null | grep -q '"running": true'; then
    mkdir -p /var/log
    nohup bin/sipwarden run >> /var/log/sipwarden.log 2>&1 &
    echo "setup: sipwarden is running in the background (pid $!, log /var/log/sipwarden.log)"
  fi
fi
