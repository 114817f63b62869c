#!/usr/bin/env bash
# Logs written by earlier versions (tests/data/format-*/) still read the same
# and still replay: lxdump prints what it printed then, and lxreplay matches
# every checkpoint. Usage: format_compat.sh LXDUMP LXREPLAY DATA_DIR
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
    if ! out=$("$lxreplay" "$log" --quiet 2>&1); then
      echo "FAIL: lxreplay $log: $out"
      status=1
    else
      echo "ok: $log: $(echo "$out" | tail -n1)"
    fi
  done
done
exit $status
