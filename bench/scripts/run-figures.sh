#!/usr/bin/env bash
# Wall time of `passthru run` on the example with the most functions (whole process, the
# launcher included), and the time per function of attach + guest enumeration that the run
# reports itself. Usage: bench/scripts/run-figures.sh [ROUNDS]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${1:-11}"
vm="$root/examples/vms/workstation.cfg"
source "$root/bin/jdk.sh"
mvn_build -DskipTests package
"$root/bin/passthru" run "$vm" >/dev/null   # builds the AOT cache once after a build

walls=() per=()
for ((i = 0; i < rounds; i++)); do
  t0=$(date +%s%N)
  out="$("$root/bin/passthru" run "$vm")"
  t1=$(date +%s%N)
  walls+=($(( (t1 - t0) / 1000000 )))
  per+=("$(grep '^Time:' <<<"$out" | sed -E 's/.*: ([0-9.]+) ms a function/\1/')")
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
functions="$(head -1 <<<"$out" | sed -E 's/.*, ([0-9]+) attached.*/\1/')"
echo "passthru run examples/vms/workstation.cfg ($functions functions), $rounds runs:"
echo "  wall time of the whole process: median $(printf '%s\n' "${walls[@]}" | median) ms (min $(printf '%s\n' "${walls[@]}" | sort -n | head -1), max $(printf '%s\n' "${walls[@]}" | sort -n | tail -1))"
echo "  attach + enumeration per function, inside the run: median $(printf '%s\n' "${per[@]}" | median) ms"
