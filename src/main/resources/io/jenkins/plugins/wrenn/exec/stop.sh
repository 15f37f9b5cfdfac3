# Sends a signal to a run's command and everything it started, or to a process group, and waits
# for them to go, as
#   /bin/sh -c "$(cat stop.sh)" wrenn-stop SIGNAL SECONDS TARGET
# SIGNAL is TERM, KILL or 0 (none: only look). TARGET is a run's control prefix (as in wrapper.sh):
# then the processes are those whose environment holds WRENN_RUN=TARGET (the command and all it
# started), and the command's pid the wrapper recorded (only while that process is the run's: it
# carries WRENN_RUN=TARGET, or is the wrapper's own shell about to become the command, with
# wrenn-run and TARGET among its arguments; the command can write anything into that file), and a
# command that has not started yet never will. Or TARGET is a process group's id (its leader's pid): a background process
# (gate.sh gives it a group of its own). Looks 10 times a second for up to SECONDS whether they
# are gone, then prints what it found: "sent" or "absent" (whether anything got the signal), then
# "gone" or "running"; or, for a run, "never" (its command had not started, and now never will)
# or "unknown" (nothing could be learnt or done).
s=$1
t=$3
run=
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
        run=WRENN_RUN=$t
        ;;
    *) g=$t ;;
esac

# Signals a process group: dash needs "--" before a negative pid, BusyBox's ash refuses it.
group() {
    kill -s "$1" -- "-$2" 2>/dev/null || kill -s "$1" "-$2" 2>/dev/null
}

# Whether the recorded pid is the run's: the command (its WRENN_RUN), or the wrapper's subshell
# that is about to exec it (the wrapper's arguments). Never pid 1 or another build's process.
ours() {
    case $g in '' | *[!0-9]* | 0 | 1) return 1 ;; esac
    grep -q -z -x -F -e "$run" "/proc/$g/environ" 2>/dev/null \
        || { grep -q -z -x -F -e wrenn-run "/proc/$g/cmdline" 2>/dev/null \
            && grep -q -z -x -F -e "$t" "/proc/$g/cmdline" 2>/dev/null; }
}

# The processes still there: the run's (by their environment; a zombie's is empty), or the group's.
left() {
    if [ -n "$run" ]; then
        grep -l -z -x -F -e "$run" /proc/[0-9]*/environ 2>/dev/null | while IFS= read -r f; do
            f=${f#/proc/}
            echo "${f%/environ}"
        done
        # The command itself, also before it was exec'd with its WRENN_RUN.
        if ours; then echo "$g"; fi
    elif group 0 "$g" || kill -s 0 "$g" 2>/dev/null; then
        echo "$g"
    fi
}

# Signals each of a run's processes once, also those started since the last pass.
r=absent
got=' '
pass() {
    for q in $(left); do
        case $got in
            *" $q "*) ;;
            *)
                if kill -s "$s" "$q" 2>/dev/null; then r=sent; fi
                got="$got$q "
                ;;
        esac
    done
}

if [ -n "$run" ]; then
    pass
    pass
elif group "$s" "$g" || kill -s "$s" "$g" 2>/dev/null; then
    # The group; or, while its leader has not reached setsid yet, that process alone.
    r=sent
fi
i=$(($2 * 10))
while [ -n "$(left)" ]; do
    if [ "$i" -le 0 ]; then
        echo "$r running"
        exit 0
    fi
    sleep 0.1
    i=$((i - 1))
    if [ -n "$run" ]; then pass; fi
done
echo "$r gone"
