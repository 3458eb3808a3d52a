#!/usr/bin/env bash
# The device lifecycle's figures on the simulated hypervisor: a 128 GiB BAR mapped, moved and
# unmapped; attach + 64 MSI-X vectors + detach cycles; what 10,000 cycles leave behind.
# Usage: bench/scripts/lifecycle-figures.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/bin/jdk.sh"
mvn_build -DskipTests package
exec "$jdk/bin/java" -Xmx512m -cp "$root/bench/target/benchmarks.jar" dev.passthru.bench.LifecycleFigures
