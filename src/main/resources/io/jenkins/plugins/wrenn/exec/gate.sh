# Starts a process that waits at a gate and then runs in a process group of its own, as
#   /bin/sh -c "$(cat gate.sh)" wrenn-gate GATE COMMAND ARG...
# GATE is the name of a file in the capsule's temporary directory (TMPDIR, else /tmp) to wait for,
# and to remove once it is there; empty: no gate. The step's own TMPDIR, if any, arrives as
# WRENN_TMPDIR (so that these scripts all find the same directory) and is given back to the command.
# The command then replaces this shell (same pid), after setsid unless the process already leads
# its process group (newer servers give every process a group of its own; v0.1.5 does not), or is a
# durable run's command (WRENN_RUN is set: its stop finds it by that).
if [ -n "$1" ]; then
    g=${TMPDIR:-/tmp}/$1
    while [ ! -e "$g" ]; do sleep 0.05; done
    rm -f -- "$g"
fi
shift
if [ -n "${WRENN_TMPDIR+set}" ]; then
    TMPDIR=$WRENN_TMPDIR
    export TMPDIR
    unset WRENN_TMPDIR
fi
read -r _ _ _ _ group _ </proc/$$/stat
if [ -z "${WRENN_RUN-}" ] && [ "$group" != $$ ] && command -v setsid >/dev/null 2>&1 \
    && command -v -- "$1" >/dev/null 2>&1; then
    exec setsid "$@"
fi
exec "$@"
