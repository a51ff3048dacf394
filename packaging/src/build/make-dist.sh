#!/usr/bin/env bash
# Completes target/sentinel-lua-agent/ (laid out by the assembly) with the workers' class
# archive, then archives the directory as target/sentinel-lua-agent.tar.gz. Run by the exec
# plugin at the package phase, after the assembly and before make-pkgroot.sh (see packaging/pom.xml).
#
#   make-dist.sh BUILD_DIR DATE
#
# DATE is project.build.outputTimestamp: the time of every entry of the tar.gz, as of every file
# the assembly wrote. The class archive (lib/worker/worker.jsa, see ClassArchive in the
# supervisor) is written by the distribution's own launcher, `class-archive`, on the JDK the
# toolchains plugin selected ($TOOLCHAIN_JAVA_HOME, set by the exec plugin): workers map it when
# the distribution runs on that same JDK; on another one the agent leaves it out (one WARN).
# The packages replace it with one written on their bundled runtime (make-pkgroot.sh).
set -euo pipefail
unset SENTINEL_LUA_JAVA_OPTS SENTINEL_LUA_WORKER_JAVA_OPTS

[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR DATE" >&2; exit 2; }
build=$1 date=$2
name=sentinel-lua-agent
dist=$build/$name

die() { echo "make-dist: $*" >&2; exit 1; }

[ -x "$dist/bin/$name" ] || die "$dist is missing: the assembly must run first"
jdk=${TOOLCHAIN_JAVA_HOME:-}
[ -n "$jdk" ] || die "TOOLCHAIN_JAVA_HOME is not set (run through Maven: the exec plugin sets it from the toolchain)"

echo "make-dist: $(SENTINEL_LUA_JAVA_HOME=$jdk "$dist/bin/$name" class-archive \
    --output "$dist/lib/worker/worker.jsa" "$dist/scripts")"

epoch=$(date -d "$date" +%s) || die "not a date: $date"
(cd "$dist" && tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --format=gnu -cf - -- *) \
    | gzip -9n > "$build/$name.tar.gz"
echo "make-dist: $build/$name.tar.gz ($(du -h "$build/$name.tar.gz" | cut -f1))"
