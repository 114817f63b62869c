#!/usr/bin/env bash
# The style test: every C++ source and header tracked by git must be as
# clang-format (with the project's .clang-format) would write it. Skips (77)
# without clang-format 14, since other versions format a little differently.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
command -v clang-format >/dev/null || { echo "clang-format not installed: skipped"; exit 77; }
version=$(clang-format --version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1)
case "$version" in
  14.*) ;;
  *) echo "clang-format $version, not 14: skipped"; exit 77 ;;
esac
git ls-files -z '*.cc' '*.h' | xargs -0 clang-format --dry-run -Werror 2>&1 | grep -E '^[^ ].*error:' | head -20 > /tmp/lx-format.$$
if [ -s /tmp/lx-format.$$ ]; then
  cat /tmp/lx-format.$$
  rm -f /tmp/lx-format.$$
  echo "style: the files above are not clang-formatted; run: git ls-files '*.cc' '*.h' | xargs clang-format -i"
  exit 1
fi
rm -f /tmp/lx-format.$$
echo "style: every C++ file is clang-formatted"
