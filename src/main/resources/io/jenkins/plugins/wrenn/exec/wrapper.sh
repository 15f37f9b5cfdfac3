umask 077; p=$1; n=$2; shift 2; old=
while [ "$n" -gt 0 ]; do old="$old $1.out $1.err $1.pid $1.rc $1.status"; shift; n=$((n-1)); done
[ -z "$old" ] || rm -f -- $old
trap 'read c <"$p.pid" && kill -s TERM "$c"' TERM
{ { "$@" & echo $! >"$p.pid"; wait $!; echo $? >"$p.rc"; } 2>&1 1>&3 | { trap '' PIPE TERM; exec tee -a -- "$p.err"; } >&2; } 3>&1 | { trap '' PIPE TERM; exec tee -a -- "$p.out"; } &
t=$!; wait $t; while kill -0 $t 2>/dev/null; do wait $t; done
read rc <"$p.rc" || rc=255; echo "$rc" >"$p.status"; trap - TERM
if [ "$rc" -gt 128 ] && [ "$rc" -le 192 ]; then kill -$((rc-128)) $$; fi
exit "$rc"
