# Removes the control files of finished runs, with one rm, as
#   /bin/sh -c "$(cat remove.sh)" wrenn-remove PREFIX...
f=
for p; do f="$f $p.out $p.err $p.pid $p.rc $p.status $p.stop"; done
# Bare names are relative to the temporary directory, and hold no white space.
# shellcheck disable=SC2086
[ -z "$f" ] || { cd "${TMPDIR:-/tmp}" && exec rm -f -- $f; }
