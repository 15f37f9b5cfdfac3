# Follows a run from its control files, as
#   /bin/sh -c "$(cat follower.sh)" wrenn-follow PREFIX WRAPPER_PID STDOUT_OFFSET STDERR_OFFSET [open]
# Prints what PREFIX.out and PREFIX.err hold beyond the offsets (in bytes), to standard output and
# error, as they grow, until the status file exists or the wrapper is gone (a WRAPPER_PID of 0: it
# was not found). PREFIX as in wrapper.sh. With "open", first opens the gate of a run started
# behind one (PREFIX.gate, see gate.sh), which a controller restart may have left shut.
# Needs: wc, tail -c, head -c and a sleep that takes fractions (GNU coreutils and BusyBox do).
case $1 in
    /*) p=$1 ;;
    *) p=${TMPDIR:-/tmp}/$1 ;;
esac
w=$2
o=$3
e=$4
last=
if [ -n "${5-}" ]; then : >"$p.gate"; fi
while :; do
    if [ -e "$p.status" ] || [ "$w" -le 0 ] || ! kill -0 "$w" 2>/dev/null; then last=1; fi
    n=$(wc -c <"$p.out" 2>/dev/null)
    n=$((n + 0))
    if [ "$n" -gt "$o" ]; then
        tail -c +$((o + 1)) -- "$p.out" | head -c $((n - o))
        o=$n
    fi
    n=$(wc -c <"$p.err" 2>/dev/null)
    n=$((n + 0))
    if [ "$n" -gt "$e" ]; then
        tail -c +$((e + 1)) -- "$p.err" | head -c $((n - e)) >&2
        e=$n
    fi
    [ -z "$last" ] || exit 0
    # Five looks a second: not a spin, and the log is never far behind.
    sleep 0.2
done
