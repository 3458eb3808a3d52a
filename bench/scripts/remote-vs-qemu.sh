#!/usr/bin/env bash
# Config-read throughput of passthru's remote against QEMU's own multi-process remote
# (qemu-system-x86_64 -machine x-remote serving an emulated pci-testdev), the same client and
# the same stream of reads for both, in one run. QEMU takes the socket as an inherited
# descriptor, which python3 hands it: Java cannot pass descriptors to a child.
# Usage: bench/scripts/remote-vs-qemu.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/bin/jdk.sh"
command -v qemu-system-x86_64 >/dev/null || { echo "needs qemu-system-x86_64 (apt-get install qemu-system-x86)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "needs python3 (to hand QEMU its socket)" >&2; exit 1; }
mvn_build -DskipTests package

JAVA="$jdk/bin/java" JAR="$root/bench/target/benchmarks.jar" python3 - <<'PY'
import os, socket, subprocess
ours, theirs = socket.socketpair()
qemu = subprocess.Popen(["qemu-system-x86_64", "-machine", "x-remote", "-nodefaults", "-nographic",
                         "-device", "pci-testdev,id=dev0",
                         "-object", "x-remote-object,id=robj,devid=dev0,fd=%d" % theirs.fileno()],
                        pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
theirs.close()
try:
    subprocess.run([os.environ["JAVA"], "--enable-native-access=ALL-UNNAMED", "-cp", os.environ["JAR"],
                    "dev.passthru.bench.RemoteThroughput", str(ours.fileno())], pass_fds=[ours.fileno()], check=True)
finally:
    qemu.kill()
PY
