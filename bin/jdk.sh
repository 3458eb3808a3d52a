# Sourced by the bin/ scripts: finds a JDK of version $required_jdk or newer and sets $jdk, or
# prints one line saying what is needed and exits. JAVA_HOME wins when it is new enough;
# otherwise the newest JDK under /usr/lib/jvm (where Debian and Temurin packages put them) or
# behind the java on PATH.
required_jdk=25

jdk_major() {
  local release="$1/release" version
  [[ -x "$1/bin/java" && -f "$release" ]] || { echo 0; return; }
  version="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")"
  echo "${version:-0}"
}

find_jdk() {
  local candidate best="" best_major=0 major on_path
  if [[ -n "${JAVA_HOME:-}" && "$(jdk_major "$JAVA_HOME")" -ge $required_jdk ]]; then
    echo "$JAVA_HOME"
    return
  fi
  on_path="$(command -v java 2>/dev/null || true)"
  [[ -n "$on_path" ]] && on_path="$(dirname "$(dirname "$(readlink -f "$on_path")")")"
  for candidate in /usr/lib/jvm/* $on_path; do
    major="$(jdk_major "$candidate")"
    if (( major >= required_jdk && major > best_major )); then
      best="$candidate"
      best_major=$major
    fi
  done
  [[ -n "$best" ]] && echo "$best"
}

jdk="$(find_jdk || true)"
if [[ -z "$jdk" ]]; then
  echo "passthru: needs JDK $required_jdk or newer (none in JAVA_HOME, /usr/lib/jvm or on PATH); install one, e.g. temurin-25-jdk" >&2
  exit 1
fi

# Maven 3.8 and JMH use sun.misc.Unsafe, which JDK 25 warns about; this flag quiets that.
quiet_unsafe="--sun-misc-unsafe-memory-access=allow"

# Builds with Maven on $jdk: mvn_build ARGS...
mvn_build() {
  (cd "$root" && JAVA_HOME="$jdk" MAVEN_OPTS="$quiet_unsafe ${MAVEN_OPTS:-}" mvn -B -q "$@" >&2)
}
