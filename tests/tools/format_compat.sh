#!/usr/bin/env bash
# Logs written by earlier versions (tests/data/format-*/) still read the same
# and still replay: lxdump prints what it printed then, and lxreplay applies
# every event to the end. Their checkpoints match only under the engine build
# that recorded them (the log names it): a newer engine may lay out its heap
# differently, and lxreplay says so. Usage: format_compat.sh LXDUMP LXREPLAY DATA_DIR
set -u
lxdump=$1 lxreplay=$2 data=$3
status=0
for dir in "$data"/format-*/; do
  for log in "$dir"*.lxw; do
    name=$(basename "$log" .lxw)
    if [ -f "$dir$name.dump.txt" ]; then
      if ! (cd "$dir" && "$lxdump" "$name.lxw" --checkpoints | diff -u "$name.dump.txt" -); then
        echo "FAIL: lxdump of $log differs from $name.dump.txt"
        status=1
      fi
    fi
    out=$("$lxreplay" "$log" --quiet --keep-going 2>&1)
    code=$?
    events=$("$lxdump" "$log" --stats | sed -n 's/^events: //p')
    if [ "$code" -gt 1 ] || ! echo "$out" | grep -q ": $events events replayed"; then
      echo "FAIL: lxreplay $log (exit $code, want all $events events applied): $out"
      status=1
    elif [ "$code" = 1 ] && ! echo "$out" | grep -q "engine build differs"; then
      echo "FAIL: lxreplay $log diverged under the same engine build: $out"
      status=1
    else
      echo "ok: $log: $(echo "$out" | tail -n1)"
    fi
  done
done
exit $status
