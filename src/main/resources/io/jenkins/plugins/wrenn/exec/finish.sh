# Ends a run read through its control files, as
#   /bin/sh -c "$(cat finish.sh)" wrenn-finish PREFIX
# Prints the exit status the wrapper left and removes the files; prints nothing and leaves the
# files when it left none, so that a stop can still find what of the run is left (stop.sh).
case $1 in
    /*) p=$1 ;;
    *) p=${TMPDIR:-/tmp}/$1 ;;
esac
{ read -r s <"$p.status"; } 2>/dev/null || exit 0
echo "$s"
rm -f -- "$p.out" "$p.err" "$p.pid" "$p.rc" "$p.status" "$p.stop" "$p.gate"
