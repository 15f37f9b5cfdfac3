read c <"$1.pid" && kill -s KILL "$c"
