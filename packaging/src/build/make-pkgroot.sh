#!/usr/bin/env bash
# Builds target/pkgroot/: the file tree both the .deb (jdeb) and the .rpm (rpm-builder) are
# made of, laid out as it is installed. Run by the exec plugin at the package phase, after
# the assembly of target/sentinel-lua-agent/ (see packaging/pom.xml).
#
#   make-pkgroot.sh BASEDIR BUILD_DIR VERSION DATE MODULES
#
# BASEDIR is the packaging module, BUILD_DIR its target/, MODULES the comma-separated modules
# of the Java runtime. The JDK whose jlink builds the runtime comes from $TOOLCHAIN_JAVA_HOME,
# which the exec plugin sets to the JDK the toolchains plugin selected for the build.
#
# What it does:
#  1. jlink: a Java runtime with only MODULES, plus a CDS archive (the supervisor and every
#     worker JVM start about 60 ms faster with it). Reused when JDK, modules and options are
#     unchanged (target/jlink/stamp).
#  2. Checks the runtime: Java 21 or newer, exactly MODULES, a CDS archive that loads.
#  3. Lays out the tree: /usr/share/sentinel-lua-agent/{bin,lib,runtime}, /etc/sentinel,
#     the systemd unit, the man page (COMMANDS from the staged launcher's --help), the docs.
#     The workers' class archive lib/worker/worker.jsa is written again by the staged launcher
#     on the staged runtime: an archive maps only into the runtime that wrote it. Its paths
#     are those of this tree; the JVM matches them to /usr/share/... by their common prefix.
#  4. Fails when the tree has executables that the packages would not mark executable.
set -euo pipefail
unset SENTINEL_LUA_JAVA_HOME SENTINEL_LUA_JAVA_OPTS  # the staged launcher must use the staged runtime

[ $# -eq 5 ] || { echo "usage: $0 BASEDIR BUILD_DIR VERSION DATE MODULES" >&2; exit 2; }
basedir=$1 build=$2 version=$3 date=${4:0:10} modules=$5
name=sentinel-lua-agent
dist=$build/$name
root=$build/pkgroot
share=$root/usr/share/$name
doc=$root/usr/share/doc/$name
project=$(cd "$basedir/.." && pwd)

die() { echo "make-pkgroot: $*" >&2; exit 1; }

[ -x "$dist/bin/$name" ] || die "$dist is missing: the assembly must run first"

# --- 1. the Java runtime ----------------------------------------------------------------
jdk=${TOOLCHAIN_JAVA_HOME:-}
[ -n "$jdk" ] || die "TOOLCHAIN_JAVA_HOME is not set (run through Maven: the exec plugin sets it from the toolchain)"
[ -x "$jdk/bin/jlink" ] || die "no jlink in $jdk (a JDK, not a JRE, is needed)"
feature=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$jdk/release")
[ -n "$feature" ] && [ "$feature" -ge 21 ] || die "$jdk is Java ${feature:-?}; the runtime must be 21 or newer"

runtime=$build/jlink/runtime
jlink_options=(--add-modules "$modules" --strip-debug --no-man-pages --no-header-files --generate-cds-archive)
stamp="$(cat "$jdk/release") ${jlink_options[*]}"
if [ -x "$runtime/bin/java" ] && [ "$(cat "$build/jlink/stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "make-pkgroot: runtime up to date ($runtime)"
else
    rm -rf "$build/jlink"
    mkdir -p "$build/jlink"
    echo "make-pkgroot: jlink from $jdk: $modules"
    "$jdk/bin/jlink" "${jlink_options[@]}" --output "$runtime" >/dev/null
    # The archive for heaps over 32 GB (no compressed oops) is never used by the agent's
    # JVMs (-Xmx192m supervisor, workers below 32 GB): 14 MB less.
    rm -f "$runtime/lib/server/classes_nocoops.jsa"
    printf '%s' "$stamp" > "$build/jlink/stamp"
fi

expected=$(tr ',' '\n' <<<"$modules" | sort)
actual=$("$runtime/bin/java" --list-modules | sed 's/@.*//' | sort)
[ "$expected" = "$actual" ] || die "runtime modules differ: expected [$expected], got [$actual]"
[ -r "$runtime/lib/server/classes.jsa" ] || die "runtime has no CDS archive"
"$runtime/bin/java" -Xshare:on -version >/dev/null 2>&1 || die "runtime does not start with its CDS archive (-Xshare:on)"

# --- 2. the tree --------------------------------------------------------------------------
rm -rf "$root"
install -d -m 0755 "$share" "$root/usr/lib/systemd/system" "$root/usr/share/man/man1" \
    "$doc/examples/scripts" "$root/etc/sentinel/scripts"

cp -a "$dist/bin" "$dist/lib" "$share/"
cp -a "$runtime" "$share/runtime"
echo "make-pkgroot: $("$share/bin/$name" class-archive --output "$share/lib/worker/worker.jsa" "$dist/scripts")"
touch -r "$share/lib/worker/$(ls "$share/lib/worker" | grep -m1 '\.jar$')" "$share/lib/worker/worker.jsa"
chmod -R u+rwX,go+rX,go-w "$share"

install -m 0644 "$basedir/src/etc/lua-agent.kdl" "$root/etc/sentinel/lua-agent.kdl"
install -m 0644 "$basedir/src/systemd/$name.service" "$root/usr/lib/systemd/system/$name.service"

install -m 0644 "$basedir/src/doc/copyright" "$doc/copyright"
install -m 0644 "$project/docs/install.md" "$doc/install.md"
for f in "$dist"/config/*.kdl; do install -m 0644 "$f" "$doc/examples/"; done
if compgen -G "$dist/scripts/*.lua" >/dev/null; then
    for f in "$dist"/scripts/*.lua; do install -m 0644 "$f" "$doc/examples/scripts/"; done
fi

# --- 3. the man page ------------------------------------------------------------------------
# Every command's --help, from the staged launcher on the staged runtime, verbatim (.nf).
troff_verbatim() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\([.']\)/\\\\\&\1/"; }
launcher=$share/bin/$name
help=$("$launcher" --help)
commands=$(sed -n '/^Commands:/,/^$/p' <<<"$help" | sed -n 's/^  \([a-z][a-z0-9-]*\)  .*/\1/p')
[ -n "$commands" ] || die "no commands found in '$name --help'"
{
    printf '.SS "%s"\n.nf\n' "$name"
    troff_verbatim <<<"$help"
    printf '.fi\n'
    for command in $commands; do
        printf '.SS "%s %s"\n.nf\n' "$name" "$command"
        "$launcher" "$command" --help | troff_verbatim
        printf '.fi\n'
    done
} > "$build/man-commands.troff"
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$date/" \
    -e "/^@COMMANDS@\$/{r $build/man-commands.troff" -e 'd}' \
    "$basedir/src/man/$name.1.in" > "$build/$name.1"
if command -v groff >/dev/null 2>&1; then
    warnings=$(groff -man -Tutf8 -ww -z "$build/$name.1" 2>&1) || die "groff failed on the man page: $warnings"
    [ -z "$warnings" ] || die "groff warns about the man page: $warnings"
fi
gzip -9n < "$build/$name.1" > "$root/usr/share/man/man1/$name.1.gz"
chmod 0644 "$root/usr/share/man/man1/$name.1.gz"

# --- 4. executables ---------------------------------------------------------------------------
# The .deb and the .rpm give mode 0755 to these paths only (jdeb includes and rpm rules in
# packaging/pom.xml); any other executable file would lose its x bit there.
unexpected=$(cd "$root" && find . -type f -perm /111 | sed 's#^\./##' \
    | grep -Ev "^usr/share/$name/(bin/[^/]+|runtime/bin/[^/]+|runtime/lib/jspawnhelper|runtime/lib/jexec)\$" || true)
[ -z "$unexpected" ] || die "executables that packaging/pom.xml does not mark 0755 (add them to the jdeb includes and rpm rules): $unexpected"

echo "make-pkgroot: $root ($(du -sh "$root" | cut -f1)), runtime Java $feature, commands: $(echo $commands)"
