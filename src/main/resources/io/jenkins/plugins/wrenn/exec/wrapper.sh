# The wrapper a durable run's command runs under, as
#   /bin/sh -c "$(cat wrapper.sh)" wrenn-run PREFIX N OLD... COMMAND ARG...
# PREFIX names the run's control files: a bare name lives in the capsule's temporary directory
# (TMPDIR, else /tmp); an absolute one (runs saved by older versions) is used as it is. N is how
# many control prefixes of finished runs follow, whose files are removed first.
#
# The command's standard output and error go out live (the wrapper's own, which the server
# streams) and are copied to PREFIX.out and PREFIX.err; PREFIX.pid holds the command's pid;
# PREFIX.status its exit status, written once all output is in the files. The wrapper exits with
# that status: the command's own 0..255, and 128+n for a death by signal n, as sh reports it.
#
# The command runs as sh would run it in the foreground, with descriptors 0 to 2 only and the
# signal dispositions it was given (an asynchronous list, cmd &, would have SIGINT and SIGQUIT
# ignored), and with WRENN_RUN=PREFIX in its environment, which every process it starts inherits:
# a stop (stop.sh) finds them all by it, also those that left the command's process group or were
# re-parented. (A process group of its own would cost every command one more program start,
# setsid, which is as much as the rest of this wrapper's own work.)
# Needs: a POSIX sh, tee and Linux's /proc.
umask 077
r=$1
case $r in
    /*) p=$r ;;
    *) p=${TMPDIR:-/tmp}/$r ;;
esac
n=$2
shift 2
# The old prefixes' files, as separate words ("$@" rebuilt in a subshell: no word splitting, no
# globbing, whatever a name holds); a name that is no control prefix is passed by.
if [ "$n" -gt 0 ]; then
    (
        cd "${TMPDIR:-/tmp}" || exit 0
        t=$#
        i=$n
        for x; do
            [ "$i" -gt 0 ] || break
            i=$((i - 1))
            case ${x##*/} in
                .wrenn-run-*[!0-9a-f]* | .wrenn-run-) ;;
                .wrenn-run-*) set -- "$@" "$x.out" "$x.err" "$x.pid" "$x.rc" "$x.status" "$x.stop" "$x.gate" ;;
            esac
        done
        shift "$t"
        [ "$#" -eq 0 ] || exec rm -f -- "$@"
    )
    shift "$n"
fi
# A SIGTERM for the wrapper (from a server that signals its pid, or its process group) is not the
# command's, whose stop is stop.sh's: the wrapper and its helpers outlive it, to report the status.
trap : TERM
# Descriptor 4: the live standard output; 5: where the status comes back (a pipe, not a file, so
# that a full disk cannot lose it); 3: the pipe to the copy of standard output; 6: the pipe to the
# copy of standard error. The command gets 0 to 2 only. Both copies ignore SIGPIPE and SIGTERM, so a cut stream or a stop never costs the
# files any output; $(...) ends only once both copies have ended.
{
    rc=$(
        trap : TERM
        {
            {
                trap : TERM
                {
                    trap : TERM
                    # This shell's own words ("Terminated" when a signal ends the command) are not
                    # the command's output: only the command gets standard error (as descriptor 6).
                    exec 6>&2 2>/dev/null
                    (
                        # This subshell's own pid ($$ is the wrapper's), from the one entry of its
                        # task list: a read of /proc/self/stat would cost a read call per byte.
                        for g in /proc/self/task/*; do g=${g##*/}; done
                        { echo "$g" >"$p.pid"; } 2>/dev/null
                        # A stop that came before the command started: it never starts.
                        [ ! -e "$p.stop" ] || exit 143
                        WRENN_RUN=$r
                        export WRENN_RUN
                        exec "$@" 3>&- 4>&- 5>&- 6>&-
                    ) 2>&6
                    echo "$?" >&5
                } 2>&1 1>&3 | {
                    trap '' PIPE TERM
                    exec tee -a -- "$p.err" 2>/dev/null
                } >&2
            } 3>&1 | {
                trap '' PIPE TERM
                exec tee -a -- "$p.out" 2>/dev/null
            } >&4
        } 5>&1
    )
} 4>&1
# No status came back only when something killed the wrapper's own shell that waits for the command.
[ -n "$rc" ] || exit 255
if ! { echo "$rc" >"$p.status"; } 2>/dev/null; then
    echo "[wrenn] Could not write $p.status in the capsule, whose disk is probably full: this log has" \
        "all of the command's output, but a cut stream or a controller restart could not have recovered it." >&2
fi
exit "$rc"
