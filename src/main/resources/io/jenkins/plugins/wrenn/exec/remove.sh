f=; for p; do f="$f $p.out $p.err $p.pid $p.rc $p.status"; done; [ -z "$f" ] || rm -f -- $f
