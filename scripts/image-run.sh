#!/usr/bin/env bash
# Runs an image unpacked by scripts/oci-unpack.py as a container runtime would, but without one (root needed):
#
#   image-run.sh ROOTFS CONFIG_DIR [KEY=VALUE...] [-- ARG...]
#
# New PID and mount namespaces; /proc and /dev/{null,zero,random,urandom} mounted (as a runtime adds them);
# chroot into ROOTFS; the image's working directory and user; exactly the image's environment plus the
# KEY=VALUE overrides; its entrypoint (and Cmd), or the entrypoint followed by ARGs after `--` (a pod's args).
# The network namespace is this machine's: a server in it listens here. The process becomes this unshare process
# (so the caller's $! is it); the image's own first process is its child, PID 1 inside, and gets the signals
# meant for the container (unshare ignores SIGTERM; its child is SIGKILLed when it dies).
set -euo pipefail

(($# >= 2)) || { echo "usage: image-run.sh ROOTFS CONFIG_DIR [KEY=VALUE...] [-- ARG...]" >&2; exit 2; }
root=$1 config=$2
shift 2
overrides=() args=()
while (($# > 0)); do
  if [[ $1 == -- ]]; then shift; args=("$@"); break; fi
  [[ $1 == *=* ]] || { echo "image-run.sh: '$1' is not KEY=VALUE" >&2; exit 2; }
  overrides+=("$1")
  shift
done
mapfile -d '' -t entry <"$config/entrypoint"
mapfile -d '' -t image_env <"$config/env"
user=$(tr -d '\0' <"$config/user")
workdir=$(tr -d '\0' <"$config/workdir")
uid=${user%%:*}
gid=${user#*:}
mkdir -p "$root/proc" "$root/dev"
# The helper runs outside the chroot, under the image's environment (whose PATH has only the image's java):
# every host tool by absolute path.
# shellcheck disable=SC2016  # the helper's own variables
exec env -i "${image_env[@]}" "${overrides[@]}" "$(command -v unshare)" --fork --pid --mount --kill-child=SIGKILL -- \
  "$(command -v bash)" -c '
    set -e
    root=$1 uid=$2 gid=$3 workdir=$4 mount=$5 unshare=$6
    shift 6
    "$mount" -t proc proc "$root/proc"
    "$mount" -t tmpfs -o mode=755,size=64k tmpfs "$root/dev"
    for node in null zero random urandom; do
      : >"$root/dev/$node"
      "$mount" --bind "/dev/$node" "$root/dev/$node"
    done
    exec "$unshare" --root="$root" --wd="$workdir" --setgid "$gid" --setuid "$uid" -- "$@"
  ' container "$root" "$uid" "$gid" "$workdir" "$(command -v mount)" "$(command -v unshare)" "${entry[@]}" "${args[@]}"
