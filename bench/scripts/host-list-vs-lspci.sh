#!/usr/bin/env bash
# Times `passthru host list` against `lspci -n` on the same fake sysfs tree of 4096 functions
# (16 buses x 32 devices x 8 functions), whole process against whole process, alternating,
# and prints the medians. Usage: bench/scripts/host-list-vs-lspci.sh [ROUNDS] [TREE]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${1:-21}"
tree="${2:-${TMPDIR:-/tmp}/passthru-fake-sysfs}"
source "$root/bin/jdk.sh"

command -v lspci >/dev/null || { echo "needs lspci (apt-get install pciutils)" >&2; exit 1; }
mvn_build -DskipTests package
if [[ ! -d "$tree/devices" ]]; then
  "$jdk/bin/java" -cp "$root/bench/target/benchmarks.jar" dev.passthru.bench.FakeSysfs "$tree" 16 >&2
fi
echo "tree: $tree ($(ls "$tree/devices" | wc -l) functions)" >&2

# Warm both once: the first passthru run after a build also records its AOT cache.
lspci -A linux-sysfs -O sysfs.path="$tree" -n >/dev/null 2>&1
"$root/bin/passthru" host list --sysfs "$tree" >/dev/null

ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

lspci_times=() names_times=() numeric_times=()
for ((i = 0; i < rounds; i++)); do
  lspci_times+=("$(ms lspci -A linux-sysfs -O sysfs.path="$tree" -n)")
  names_times+=("$(ms "$root/bin/passthru" host list --sysfs "$tree")")
  numeric_times+=("$(ms "$root/bin/passthru" host list --sysfs "$tree" -n)")
done
printf '%-52s %s\n' "command ($rounds rounds, alternating)" "median ms (min-max)"
for name in lspci names numeric; do
  case $name in
    lspci) label="lspci -A linux-sysfs -O sysfs.path=TREE -n"; arr=("${lspci_times[@]}") ;;
    names) label="passthru host list --sysfs TREE"; arr=("${names_times[@]}") ;;
    numeric) label="passthru host list --sysfs TREE -n"; arr=("${numeric_times[@]}") ;;
  esac
  sorted=$(printf '%s\n' "${arr[@]}" | sort -n)
  printf '%-52s %s (%s-%s)\n' "$label" "$(printf '%s\n' "${arr[@]}" | median)" "$(echo "$sorted" | head -1)" "$(echo "$sorted" | tail -1)"
done
