while [ ! -e "$1" ]; do sleep 0.05; done; rm -f -- "$1"; shift; exec "$@"
