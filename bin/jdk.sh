# Sourced by the bin/ scripts: finds a JDK of version $required_jdk or newer and sets $jdk, or
# prints one line saying what is needed and exits. JAVA_HOME wins when it is new enough;
# otherwise the newest JDK under /usr/lib/jvm (where Debian and Temurin packages put them) or
# behind the java on PATH.
required_jdk=25

# Sets REPLY to the major version of the JDK at $1 (0 when it is not one). Bash builtins
# only: the launcher runs this on every command, and each forked tool costs milliseconds.
jdk_major() {
  local line
  REPLY=0
  [[ -x "$1/bin/java" && -r "$1/release" ]] || return 0
  while IFS= read -r line; do
    if [[ $line =~ ^JAVA_VERSION=\"([0-9]+) ]]; then
      REPLY=${BASH_REMATCH[1]}
      return 0
    fi
  done <"$1/release"
}

# Sets $jdk to JAVA_HOME when it is new enough, else to the newest JDK under /usr/lib/jvm or
# behind the java on PATH; empty when there is none.
find_jdk() {
  local candidate best_major=0 on_path
  jdk=""
  if [[ -n "${JAVA_HOME:-}" ]]; then
    jdk_major "$JAVA_HOME"
    if ((REPLY >= required_jdk)); then
      jdk="$JAVA_HOME"
      return 0
    fi
  fi
  on_path="$(type -P java || true)"
  [[ -n "$on_path" ]] && on_path="$(readlink -f "$on_path")" && on_path="${on_path%/bin/java}"
  for candidate in /usr/lib/jvm/* $on_path; do
    jdk_major "$candidate"
    if ((REPLY >= required_jdk && REPLY > best_major)); then
      jdk="$candidate"
      best_major=$REPLY
    fi
  done
}

find_jdk
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
