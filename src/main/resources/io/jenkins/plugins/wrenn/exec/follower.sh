p=$1; w=$2; o=$3; e=$4; last=
while :; do
if [ -e "$p.status" ] || ! kill -0 "$w" 2>/dev/null; then last=1; fi
n=$(wc -c <"$p.out" 2>/dev/null); n=$((n+0))
if [ "$n" -gt "$o" ]; then tail -c +$((o+1)) -- "$p.out" | head -c $((n-o)); o=$n; fi
n=$(wc -c <"$p.err" 2>/dev/null); n=$((n+0))
if [ "$n" -gt "$e" ]; then tail -c +$((e+1)) -- "$p.err" | head -c $((n-e)) >&2; e=$n; fi
[ -z "$last" ] || exit 0
sleep 0.2
done
