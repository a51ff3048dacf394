#!/usr/bin/env bash
# Upgrades the pre-Java 6 class files of the worker's run-time jars (target/runtime-lib, which
# becomes the distribution's lib/worker) so that the workers' class archive can hold them: see
# UpgradeClassFiles.java. Run by the exec plugin at the package phase (worker/pom.xml) with the
# JDK the toolchains plugin selected ($TOOLCHAIN_JAVA_HOME, set by the plugin).
#
#   upgrade-class-files.sh DIR
#
# The class-file API needs Java 24. With an older JDK the jars stay as published and the archive
# leaves LuaJ's classes out, as the JVM must: workers then start more slowly, nothing else changes.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
jdk=${TOOLCHAIN_JAVA_HOME:-}
[ -n "$jdk" ] || { echo "upgrade-class-files: TOOLCHAIN_JAVA_HOME is not set (run through Maven)" >&2; exit 1; }
feature=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$jdk/release")
if [ "${feature:-0}" -lt 24 ]; then
    echo "upgrade-class-files: Java ${feature:-?} has no class-file API (24 or newer): the jars of $dir stay as published"
    exit 0
fi
shopt -s nullglob
jars=("$dir"/*.jar)
[ ${#jars[@]} -gt 0 ] || { echo "upgrade-class-files: no jar in $dir" >&2; exit 1; }
"$jdk/bin/java" "$(dirname "$0")/UpgradeClassFiles.java" "${jars[@]}"
