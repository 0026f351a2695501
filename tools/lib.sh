# Shared by tools/check, tools/demo and .ci/run: what the project needs from
# Debian, installed when missing.  Sourced, not run.
# SPDX-License-Identifier: GPL-2.0-or-later

HOTPLUG_DEPS="meson ninja-build pkg-config gcc libc6-dev gettext \
libglib2.0-dev libglib2.0-dev-bin libudev-dev libpci-dev \
libumockdev-dev umockdev libpolkit-gobject-1-dev polkitd \
dbus dbus-daemon python3-dbusmock python3-gi python3-dbus \
util-linux procps iproute2 valgrind clang libclang-rt-14-dev \
resource-agents pacemaker-cli-utils libxml2-utils bash-completion \
mandoc groff-base systemd-container upower \
cockpit-ws cockpit-bridge chromium chromium-driver python3-selenium"

hotplug_missing_deps() {
  local p missing=""
  for p in $HOTPLUG_DEPS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
  done
  echo "${missing# }"
}

hotplug_ensure_deps() {
  local missing
  missing=$(hotplug_missing_deps)
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "hotplugd needs these Debian packages, and installing them needs root:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y $missing" >&2
    return 1
  fi
  echo "Installing: $missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || return 1
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >&2 || return 1
}

hotplug_require_root() {
  local missing
  if [ "$(id -u)" != 0 ]; then
    echo "$1 must run as root: it starts a private system bus, polkit and the" >&2
    echo "simulated server in private namespaces, and installs what is missing." >&2
    missing=$(hotplug_missing_deps)
    if [ -n "$missing" ]; then
      echo "The packages it needs that are not installed:" >&2
      echo "  sudo apt-get update && sudo apt-get install -y $missing" >&2
    else
      echo "Every package it needs is installed: run it as root (sudo $1)." >&2
    fi
    exit 1
  fi
}
