# Ends a run read through its control files, as
#   /bin/sh -c "$(cat finish.sh)" wrenn-finish PREFIX
# Prints the exit status the wrapper left (nothing when it left none) and removes the files.
case $1 in
    /*) p=$1 ;;
    *) p=${TMPDIR:-/tmp}/$1 ;;
esac
cat -- "$p.status" 2>/dev/null
rm -f -- "$p.out" "$p.err" "$p.pid" "$p.rc" "$p.status" "$p.stop"
