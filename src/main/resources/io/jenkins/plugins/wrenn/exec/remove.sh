# Removes the control files of finished runs, with one rm, as
#   /bin/sh -c "$(cat remove.sh)" wrenn-remove PREFIX...
# Each file is one word ("$@" rebuilt: no word splitting, no globbing, whatever a name holds); a
# name that is no control prefix is passed by. Bare names are relative to the temporary directory.
cd "${TMPDIR:-/tmp}" || exit 0
t=$#
for p; do
    case ${p##*/} in
        .wrenn-run-*[!0-9a-f]* | .wrenn-run-) ;;
        .wrenn-run-*) set -- "$@" "$p.out" "$p.err" "$p.pid" "$p.rc" "$p.status" "$p.stop" "$p.gate" ;;
    esac
done
shift "$t"
[ "$#" -eq 0 ] || exec rm -f -- "$@"
