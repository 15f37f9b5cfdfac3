cat -- "$1.status" 2>/dev/null; rm -f -- "$1.out" "$1.err" "$1.pid" "$1.rc" "$1.status"
