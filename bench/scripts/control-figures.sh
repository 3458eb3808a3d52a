#!/usr/bin/env bash
# The control plane's figures: pci-list and attach+detach requests per second over the control
# socket, and the restart time (journal replay and reconcile) with 1,000 journal records.
# Usage: bench/scripts/control-figures.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/bin/jdk.sh"
mvn_build -DskipTests package
exec "$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$root/bench/target/benchmarks.jar" dev.passthru.bench.ControlFigures
