#!/usr/bin/env bash
# Lab image entrypoint. Commands:
#   agent            the course and the workspace on $AGENT_HOST:$AGENT_PORT (default)
#   labs ...         the labs CLI (check, verify, list, grade)
#   grade ...        = labs grade ... (grade every lab found in a submission)
#   anything else    run as the learner user
set -euo pipefail
user=learner
home=/home/$user


case "${1:-agent}" in
  agent) set -- node /app/bin/start.mjs --no-build ;;
  labs) shift; set -- node /app/bin/labs.mjs "$@" ;;
  grade) shift; set -- node /app/bin/labs.mjs grade "$@" ;;
esac

if [ "$(id -u)" != 0 ]; then exec "$@"; fi

# Kernel labs need CAP_NET_ADMIN (bit 12) and CAP_SYS_ADMIN (bit 21) in the bounding set.
caps=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
if (( (16#$caps >> 12) & 1 )) && (( (16#$caps >> 21) & 1 )); then
  # Docker mounts /proc/sys read-only; the per-namespace sysctls of the kernel labs need it
  # writable (what a sysctl may change is still limited by the capabilities held).
  mount -o remount,rw /proc/sys 2>/dev/null || true
  mkdir -p /run/netns && chown $user:$user /run/netns
  export GHL_KERNEL_VIA=ambient
  exec setpriv --reuid=$user --regid=$user --init-groups --reset-env \
    --inh-caps=+net_admin,+sys_admin --ambient-caps=+net_admin,+sys_admin -- \
    env PATH="$PATH" HOME="$home" USER=$user GOTOOLCHAIN="$GOTOOLCHAIN" GOPATH="$GOPATH" GOFLAGS="$GOFLAGS" GOPROXY="$GOPROXY" \
      GOSUMDB="$GOSUMDB" GOCACHE="$GOCACHE" AGENT_HOST="$AGENT_HOST" AGENT_PORT="$AGENT_PORT" WORKSPACES_DIR="$WORKSPACES_DIR" \
      AGENT_TOKEN="${AGENT_TOKEN:-}" NODE_ENV="$NODE_ENV" LANG=C.UTF-8 "$@"
fi
exec setpriv --reuid=$user --regid=$user --init-groups --reset-env -- \
  env PATH="$PATH" HOME="$home" USER=$user GOTOOLCHAIN="$GOTOOLCHAIN" GOPATH="$GOPATH" GOFLAGS="$GOFLAGS" GOPROXY="$GOPROXY" \
    GOSUMDB="$GOSUMDB" GOCACHE="$GOCACHE" AGENT_HOST="$AGENT_HOST" AGENT_PORT="$AGENT_PORT" WORKSPACES_DIR="$WORKSPACES_DIR" \
    AGENT_TOKEN="${AGENT_TOKEN:-}" NODE_ENV="$NODE_ENV" LANG=C.UTF-8 "$@"
