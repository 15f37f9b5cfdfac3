# Sends a signal to a process group and waits for the group to go, as
#   /bin/sh -c "$(cat stop.sh)" wrenn-stop SIGNAL SECONDS TARGET
# SIGNAL is TERM, KILL or 0 (none: only look). TARGET is a process group's id (its leader's pid), or
# a run's control prefix (as in wrapper.sh): then the group is the one the wrapper recorded, and a
# command that has not started yet never will. Looks 10 times a second for up to SECONDS whether
# the group is gone, then prints what it found: "sent" or "absent" (whether anything got the
# signal), then "gone" (no process left in the group) or "running"; or, for a run, "never" (its
# command had not started, and now never will) or "unknown" (nothing could be learnt or done).
s=$1
t=$3
case $t in
    *[!0-9]* | '')
        case $t in
            /*) p=$t ;;
            *) p=${TMPDIR:-/tmp}/$t ;;
        esac
        # Before reading the pid, which the wrapper writes before it looks for this file.
        if ! { : >"$p.stop"; } 2>/dev/null; then
            echo unknown
            exit 0
        fi
        if ! { read -r g <"$p.pid"; } 2>/dev/null; then
            echo never
            exit 0
        fi
        ;;
    *) g=$t ;;
esac
# The group, or, while its leader has not reached setsid yet, that process alone.
if kill -s "$s" -- "-$g" 2>/dev/null || kill -s "$s" "$g" 2>/dev/null; then r=sent; else r=absent; fi
i=$(($2 * 10))
while kill -0 -- "-$g" 2>/dev/null || kill -0 "$g" 2>/dev/null; do
    if [ "$i" -le 0 ]; then
        echo "$r running"
        exit 0
    fi
    sleep 0.1
    i=$((i - 1))
done
echo "$r gone"
