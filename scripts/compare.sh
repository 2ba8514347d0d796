#!/usr/bin/env bash
# Two results side by side with ratios B / A: points (results/<label>-<sessions>) or ladders
# (results/<label>-ladder, compared by ceiling and top confirmed point).
#
#   compare.sh A B        (make compare A=results/x B=results/y)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

if (($# != 2)) || [[ -z $1 || -z $2 ]]; then
  echo "usage: make compare A=results/x B=results/y" >&2
  exit 2
fi
for dir in "$1" "$2"; do
  [[ -e $dir ]] || die "$dir does not exist"
done
require_jar "$LOADGEN_JAR"
java -cp "$LOADGEN_JAR" "$REPORT_MAIN" compare "$1" "$2"
