#!/usr/bin/env bash
# Package test, run by `mvn verify` (integration-test phase of the packaging module).
#
#   package-it.sh BUILD_DIR DEB_ARCH RPM_ARCH
#
# 1. The .deb's metadata and contents (dpkg-deb); the agent run from the extracted .deb maps the
#    workers' class archive (written in the build tree: its paths have moved).
# 2. The .rpm's metadata, contents, scripts and dependencies (rpm -qp); the same files as the .deb.
# 3. Installs the .deb on this machine (CI=true or -Dpackages.it.install=true; root and dpkg only), runs the installed agent as the user
#    sentinel inside an emulation of the unit's sandbox (unit_sandbox.py: PID 1 is not systemd
#    here), answers a proxy request through its socket with a script in /etc/sentinel/scripts,
#    runs `status`, stops it with SIGTERM, reinstalls over an edited conffile, removes and purges
#    the package, and checks that nothing is left.
#
# A part that cannot run says so with "SKIPPED <part>: <reason>" and the others still run; a
# check that fails ends the test with "FAILED". Environment (set by the pom): PACKAGE_IT_SKIP,
# PACKAGE_IT_SKIP_TESTS, PACKAGE_IT_SKIP_ITS ("true" skips everything).
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: $0 BUILD_DIR DEB_ARCH RPM_ARCH" >&2; exit 2; }
build=$1 deb_arch=$2 rpm_arch=$3
name=sentinel-lua-agent
here=$(cd "$(dirname "$0")" && pwd)
started=$SECONDS

say() { echo "package-it [$((SECONDS - started))s]: $*"; }
skip() { echo "package-it: SKIPPED $*"; }
fail() { echo "package-it: FAILED $*" >&2; exit 1; }

[ "${PACKAGE_IT_SKIP:-false}" != true ] || { skip "all package tests: -Dpackages.it.skip=true"; exit 0; }
[ "${PACKAGE_IT_SKIP_TESTS:-false}" != true ] || { skip "all package tests: -DskipTests"; exit 0; }
[ "${PACKAGE_IT_SKIP_ITS:-false}" != true ] || { skip "all package tests: -DskipITs"; exit 0; }

deb=$(ls -t "$build"/${name}_*_"$deb_arch".deb 2>/dev/null | head -1 || true)
rpm=$(ls -t "$build"/$name-*."$rpm_arch".rpm 2>/dev/null | head -1 || true)
[ -n "$deb" ] || fail "no $build/${name}_*_$deb_arch.deb (the package phase builds it)"
[ -n "$rpm" ] || fail "no $build/$name-*.$rpm_arch.rpm (the package phase builds it)"

# Paths every package must contain (relative to /), and the executables among them.
required=(
    usr/bin/$name
    usr/share/$name/bin/$name
    usr/share/$name/runtime/bin/java
    usr/share/$name/runtime/lib/server/libjvm.so
    usr/share/$name/runtime/lib/server/classes.jsa
    usr/share/$name/lib/worker/worker.jsa
    usr/share/$name/lib/worker/worker.jsa.jars
    usr/lib/systemd/system/$name.service
    usr/share/man/man1/$name.1.gz
    usr/share/doc/$name/copyright
    usr/share/doc/$name/install.md
    usr/share/doc/$name/examples/agent.kdl
    etc/sentinel/lua-agent.kdl
)
executables=(usr/share/$name/bin/$name usr/share/$name/runtime/bin/java usr/share/$name/runtime/lib/jspawnhelper)

# --- 1. the .deb ----------------------------------------------------------------------------
deb_files=""
if command -v dpkg-deb >/dev/null 2>&1; then
    say "deb: $(basename "$deb"), $(du -h "$deb" | cut -f1)"
    [ "$(dpkg-deb --field "$deb" Package)" = "$name" ] || fail "deb: Package is not $name"
    [ "$(dpkg-deb --field "$deb" Architecture)" = "$deb_arch" ] || fail "deb: Architecture is not $deb_arch"
    listing=$(dpkg-deb --contents "$deb")
    for path in "${required[@]}"; do
        grep -Eq " \./$path( ->|$)" <<<"$listing" || fail "deb: $path is missing"
    done
    for path in "${executables[@]}"; do
        grep -Eq "^-rwxr-xr-x root/root .* \./$path$" <<<"$listing" || fail "deb: $path is not -rwxr-xr-x root/root"
    done
    grep -Eq " \./usr/bin/$name -> \.\./share/$name/bin/$name$" <<<"$listing" || fail "deb: /usr/bin/$name is not the relative link"
    odd=$(grep -Ev '^[dl-]r[-w][-x]r-[-x]r-[-x] root/root ' <<<"$listing" || true)
    [ -z "$odd" ] || fail "deb: entries not owned by root/root, or writable by group or others: $(head -3 <<<"$odd")"
    control=$(mktemp -d)
    dpkg-deb --control "$deb" "$control"
    [ "$(cat "$control/conffiles")" = /etc/sentinel/lua-agent.kdl ] || fail "deb: conffiles is not exactly /etc/sentinel/lua-agent.kdl"
    for script in postinst prerm postrm; do
        [ -x "$control/$script" ] || fail "deb: maintainer script $script is missing"
        sh -n "$control/$script" || fail "deb: $script has a syntax error"
    done
    rm -rf "$control"
    # files and links (no directories), for the comparison with the .rpm
    deb_files=$(awk '$1 !~ /^d/ {print $6}' <<<"$listing" | sed 's#^\./#/#' | sort)
    say "deb: metadata, contents, modes, conffiles and maintainer scripts OK ($(wc -l <<<"$deb_files") files)"

    # The class archive was written in the build tree; installed, its jars and runtime are
    # elsewhere (as here, extracted to a temporary directory). The agent tries it with the
    # workers' command line and says whether it maps; the workers then start with it.
    x=$(mktemp -d)
    dpkg-deb -x "$deb" "$x"
    cat > "$x/agent.kdl" <<KDL
socket-path "$x/lua.sock"
admin { socket-path "$x/lua-admin.sock" }
scripts { directory "$x/usr/share/doc/$name/examples/scripts" }
workers { count 1 }
KDL
    env -u SENTINEL_LUA_JAVA_HOME -u SENTINEL_LUA_JAVA_OPTS -u SENTINEL_LUA_WORKER_JAVA_OPTS \
        "$x/usr/share/$name/bin/$name" run --config "$x/agent.kdl" >"$x/agent.log" 2>&1 &
    extracted_pid=$!
    t=$SECONDS
    until grep -q "WorkerHandle - worker-1 - ready" "$x/agent.log"; do
        kill -0 "$extracted_pid" 2>/dev/null || { cat "$x/agent.log" >&2; fail "deb: the extracted agent exited"; }
        [ $((SECONDS - t)) -lt 90 ] || { kill "$extracted_pid"; cat "$x/agent.log" >&2; fail "deb: no ready worker after 90 s"; }
        sleep 0.2
    done
    kill -TERM "$extracted_pid"; wait "$extracted_pid" || true
    grep -q "class archive $x/usr/share/$name/lib/worker/worker.jsa in use" "$x/agent.log" \
        || { cat "$x/agent.log" >&2; fail "deb: the workers do not map the class archive once the package is extracted elsewhere"; }
    ! grep -q "worker-1 - .*\[\(warning\|error\)" "$x/agent.log" \
        || { cat "$x/agent.log" >&2; fail "deb: the worker JVM warned about its class archive"; }
    say "deb: extracted elsewhere, the agent's workers map the class archive ($(grep -o 'ready (pid.*' "$x/agent.log" | head -1))"
    rm -rf "$x"
else
    skip "deb inspection: dpkg-deb is not installed"
fi

# --- 2. the .rpm ----------------------------------------------------------------------------
if command -v rpm >/dev/null 2>&1; then
    say "rpm: $(basename "$rpm"), $(du -h "$rpm" | cut -f1)"
    [ "$(rpm -qp --qf '%{NAME} %{ARCH}' "$rpm" 2>/dev/null)" = "$name $rpm_arch" ] || fail "rpm: name or architecture is not $name $rpm_arch"
    rpm -K --nosignature "$rpm" >/dev/null || fail "rpm: digests do not verify (rpm -K)"
    files=$(rpm -qlp "$rpm")
    for path in "${required[@]}"; do
        grep -qx "/$path" <<<"$files" || fail "rpm: /$path is missing (rpm -qlp)"
    done
    modes=$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]' "$rpm")
    for path in "${executables[@]}"; do
        grep -Eq " -rwxr-xr-x root:root /$path$" <<<"$modes" || fail "rpm: /$path is not -rwxr-xr-x root:root"
    done
    grep -Eq '^cn -rw-r--r-- root:root /etc/sentinel/lua-agent.kdl$' <<<"$modes" \
        || fail "rpm: /etc/sentinel/lua-agent.kdl is not %config(noreplace) 0644"
    grep -Eq ' /usr/bin/?$| /usr/lib/systemd/system$| /usr/share/man/man1$' <<<"$modes" \
        && fail "rpm: owns a directory of the distribution"
    scripts=$(rpm -qp --scripts "$rpm")
    for expected in "useradd -r -g sentinel" "systemctl --no-reload preset $name.service" \
                    "systemctl --no-reload disable --now $name.service" "systemctl try-restart $name.service"; do
        grep -qF -- "$expected" <<<"$scripts" || fail "rpm: scriptlets lack '$expected' (rpm -qp --scripts)"
    done
    requires=$(rpm -qp --requires "$rpm")
    for expected in "glibc >= 2.17" "/usr/sbin/useradd" "/bin/sh"; do
        grep -qxF "$expected" <<<"$requires" || fail "rpm: Requires lacks '$expected' (rpm -qp --requires)"
    done
    grep -qi java <<<"$requires" && fail "rpm: requires a Java package, but it bundles its runtime"
    if [ -n "$deb_files" ]; then
        rpm_files=$(awk '$1 !~ /^d/ {print $2}' <<<"$(rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpm")" | sort)
        difference=$(diff <(echo "$deb_files") <(echo "$rpm_files") || true)
        [ -z "$difference" ] || fail "the .deb and the .rpm contain different files: $difference"
    fi
    say "rpm: metadata, digests, contents, modes, config, scriptlets and dependencies OK; same files as the .deb"
    say "rpm: Requires: $(sort -u <<<"$requires" | tr '\n' ' ')"
else
    skip "rpm inspection: the rpm tool is not installed (Debian: apt-get install -y rpm)"
fi

# --- 3. install, run, remove, purge the .deb ------------------------------------------------
# Installing a system package is not something a test run should do to a developer's machine
# unasked: CI (CI=true) does it, anyone else opts in with -Dpackages.it.install=true.
if [ "${CI:-false}" != true ] && [ "${PACKAGE_IT_INSTALL:-false}" != true ]; then
    skip "install test: installs the .deb system-wide; runs in CI (CI=true) or with -Dpackages.it.install=true"
    say "done in $((SECONDS - started)) s"; exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    skip "install test: needs root (dpkg -i), running as $(id -un)"
    say "done in $((SECONDS - started)) s"; exit 0
fi
if ! command -v dpkg >/dev/null 2>&1; then
    skip "install test: dpkg is not installed (not a Debian system)"
    say "done in $((SECONDS - started)) s"; exit 0
fi
# One install test at a time on a machine: parallel builds would fight over dpkg and the user.
# flock(2) on dpkg's database directory: it always exists here, leaves no lock file behind, and
# does not interfere with dpkg's and apt's own locks (fcntl locks on files inside it).
exec 9</var/lib/dpkg
flock -w 600 9 || fail "another package test has held the lock on /var/lib/dpkg for 10 minutes"
if dpkg-query -W -f='${Status}' $name 2>/dev/null | grep -q installed || [ -e /etc/sentinel/lua-agent.kdl ] \
        || [ -e /usr/share/$name ] || [ -S /run/sentinel/lua.sock ]; then
    skip "install test: $name is already installed or configured on this machine; the test never touches an existing installation"
    say "done in $((SECONDS - started)) s"; exit 0
fi
command -v python3 >/dev/null 2>&1 || fail "python3 is needed for the test client"

watched=(/etc/sentinel /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled
         /var/lib/systemd/deb-systemd-helper-masked /usr/share/$name /usr/share/doc/$name
         /usr/lib/systemd/system/$name.service /usr/bin/$name /usr/share/man/man1/$name.1.gz /run/sentinel)
snapshot() { find "${watched[@]}" 2>/dev/null | sort || true; }
before=$(snapshot)
user_existed=false; getent passwd sentinel >/dev/null && user_existed=true
group_existed=false; getent group sentinel >/dev/null && group_existed=true
run_existed=false; [ -e /run/sentinel ] && run_existed=true
test_script=/etc/sentinel/scripts/zz-package-it.lua
log=$build/package-it-agent.log
agent_pid=""

cleanup() {
    set +e
    if [ -n "$agent_pid" ] && kill -0 "$agent_pid" 2>/dev/null; then
        kill -KILL "$agent_pid"; wait "$agent_pid" 2>/dev/null
    fi
    rm -f "$test_script"
    if dpkg-query -W -f='${Status}' $name 2>/dev/null | grep -q "ok installed\|config-files"; then
        dpkg --purge $name >/dev/null 2>&1
    fi
    [ "$run_existed" = true ] || rm -rf /run/sentinel
    # The package keeps the user on purge (by design); the test removes what it created.
    if [ "$user_existed" = false ] && getent passwd sentinel >/dev/null; then userdel sentinel; fi
    if [ "$group_existed" = false ] && getent group sentinel >/dev/null; then groupdel sentinel; fi
}
trap cleanup EXIT

t=$SECONDS
out=$(dpkg --install "$deb" 2>&1) || fail "dpkg --install: $out"
say "installed with dpkg in $((SECONDS - t)) s"
entry=$(getent passwd sentinel) || fail "postinst did not create the user sentinel"
uid=$(cut -d: -f3 <<<"$entry")
[ "$user_existed" = true ] || [ "$uid" -lt 1000 ] || fail "the user sentinel is not a system user (uid $uid)"
getent group sentinel >/dev/null || fail "postinst did not create the group sentinel"
[ "$(readlink -f /usr/bin/$name)" = /usr/share/$name/bin/$name ] || fail "/usr/bin/$name does not lead to the launcher"
[ -d /etc/sentinel/scripts ] || fail "/etc/sentinel/scripts is missing"
dpkg-query -W -f='${Conffiles}' $name | grep -q "/etc/sentinel/lua-agent.kdl" || fail "dpkg does not list the conffile"
if command -v deb-systemd-helper >/dev/null 2>&1; then
    [ -L /etc/systemd/system/multi-user.target.wants/$name.service ] || fail "postinst did not enable the unit"
    say "postinst: user sentinel (uid $uid), unit enabled for multi-user.target (not started: PID 1 is not systemd)"
fi
if command -v man >/dev/null 2>&1; then
    [ "$(man -w $name 2>/dev/null)" = /usr/share/man/man1/$name.1.gz ] || fail "man -w $name does not find the man page"
fi
if command -v systemd-analyze >/dev/null 2>&1; then
    out=$(systemd-analyze verify /usr/lib/systemd/system/$name.service 2>&1) || fail "systemd-analyze verify (installed unit): $out"
    [ -z "$out" ] || fail "systemd-analyze verify (installed unit): $out"
    say "systemd-analyze verify of the installed unit (executables and man page included): OK"
else
    skip "verify of the installed unit: systemd-analyze is not installed"
fi

# The launcher must take the bundled runtime even when JAVA_HOME (and PATH) name another Java.
runtime_version=$(sed -n 's/^JAVA_VERSION="\(.*\)"/\1/p' /usr/share/$name/runtime/release)
other=$(ls -d /usr/lib/jvm/*/ 2>/dev/null | grep -v temurin | head -1 || true)
version=$(env -u SENTINEL_LUA_JAVA_HOME JAVA_HOME="${other:-/nonexistent}" /usr/bin/$name version) || fail "$name version failed"
grep -q "Java $runtime_version" <<<"$version" || fail "$name version does not run on the bundled Java $runtime_version: $version"
say "version (JAVA_HOME=${other:-unset}): $(tr '\n' ';' <<<"$version")"

# Start the agent as the service would: RuntimeDirectory=, the packaged config, a script.
[ "$run_existed" = true ] || install -d -o sentinel -g sentinel -m 0750 /run/sentinel
cat > "$test_script" <<'LUA'
-- name: package-it
-- hook: request_headers
function on_request_headers(request)
    request:set_header("X-Package-IT", "ok")
    sentinel.set_decision("allow")
end
LUA
chmod 0644 "$test_script"
start=(/usr/bin/$name run --config /etc/sentinel/lua-agent.kdl)
if python3 "$here/unit_sandbox.py" --user sentinel --rw /run/sentinel -- /bin/true 2>"$log"; then
    sandbox=(python3 "$here/unit_sandbox.py" --user sentinel --rw /run/sentinel --)
    how="inside the emulated unit sandbox"
else
    sandbox=(setpriv --reuid=sentinel --regid=sentinel --init-groups --no-new-privs --bounding-set=-all --
             env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin LANG=C.UTF-8 HOME=/nonexistent)
    how="with setpriv only (user, no_new_privs, no capabilities)"
    skip "unit sandbox emulation: $(tail -1 "$log"); running $how"
fi
t=$SECONDS
"${sandbox[@]}" "${start[@]}" >"$log" 2>&1 &
agent_pid=$!
until [ -S /run/sentinel/lua.sock ]; do
    kill -0 "$agent_pid" 2>/dev/null || { cat "$log" >&2; fail "the agent exited before it listened"; }
    [ $((SECONDS - t)) -lt 90 ] || { cat "$log" >&2; fail "no socket after 90 s"; }
    sleep 0.2
done
say "agent listening on /run/sentinel/lua.sock after $((SECONDS - t)) s, $how"
grep -m1 '^unit_sandbox:' "$log" || true
grep -q "class archive /usr/share/$name/lib/worker/worker.jsa in use" "$log" \
    || { cat "$log" >&2; fail "the installed agent does not use the workers' class archive"; }

# Supervisor and workers: the bundled java, user sentinel, no privileges.
source "$here/check-process.sh"
check_process "$agent_pid" supervisor
workers=$(pgrep -P "$agent_pid" || true)
[ -n "$workers" ] || fail "the supervisor has no worker processes"
for worker in $workers; do check_process "$worker" worker; done
[ "$(stat -c '%A %U:%G' /run/sentinel/lua.sock)" = "srw-rw---- sentinel:sentinel" ] \
    || fail "socket is $(stat -c '%A %U:%G' /run/sentinel/lua.sock), expected srw-rw---- sentinel:sentinel"
say "supervisor $agent_pid and workers $(echo $workers) run the bundled java as sentinel, no_new_privs, no capabilities"

# A proxy request: handshake and RequestHeaders (golden frames), answered by the script.
# The client reads its program from stdin, so it runs whatever user may read the checkout.
client=(python3 - /run/sentinel/lua.sock --decision allow --tag lua:package-it --set-header X-Package-IT=ok)
if [ -x /usr/bin/python3 ] && command -v setpriv >/dev/null 2>&1; then
    # As the proxy would: an unprivileged user in the group sentinel may connect, others not.
    client[0]=/usr/bin/python3
    setpriv --reuid=nobody --regid=nogroup --clear-groups -- /usr/bin/python3 -c \
        "import socket; s = socket.socket(socket.AF_UNIX); s.connect('/run/sentinel/lua.sock')" 2>/dev/null \
        && fail "a user outside the group sentinel could connect to the socket"
    client=(setpriv --reuid=nobody --regid=nogroup --groups="$(getent group sentinel | cut -d: -f3)" -- "${client[@]}")
    who="as nobody in the group sentinel (nobody outside it: refused)"
else
    who="as root"
fi
out=$("${client[@]}" <"$here/agent_client.py" 2>&1) || { echo "$out" >&2; cat "$log" >&2; fail "the request through the socket failed"; }
say "request answered $who: $(grep '^response:' <<<"$out" | cut -c1-220)"

# status, through the admin socket (the command is being added; skip while it is unknown).
rc=0; out=$(/usr/bin/$name status --config /etc/sentinel/lua-agent.kdl 2>&1) || rc=$?
if [ $rc -eq 2 ] && grep -q "Unmatched argument at index 0: 'status'" <<<"$out"; then
    skip "status: this build has no 'status' command yet"
elif [ $rc -ne 0 ]; then
    echo "$out" >&2; fail "$name status exited $rc"
else
    say "status: $(head -5 <<<"$out" | tr '\n' ';')"
fi

# SIGHUP (systemctl reload) reloads the scripts; only where the build has the reload command.
if /usr/bin/$name --help | grep -q '^  reload '; then
    kill -HUP "$agent_pid"
    sleep 1
    kill -0 "$agent_pid" 2>/dev/null || { cat "$log" >&2; fail "SIGHUP ended the agent (systemctl reload would restart it)"; }
    out=$("${client[@]}" <"$here/agent_client.py" 2>&1) || { echo "$out" >&2; fail "no answer after SIGHUP"; }
    say "SIGHUP: the agent kept running and answers ($(grep -m1 SIGHUP "$log" | sed 's/^[^ ]* //' || true))"
else
    skip "SIGHUP reload: this build has no 'reload' command yet (until then the JVM's default SIGHUP handling ends the agent)"
fi

# SIGTERM: graceful stop, exit 0, sockets removed, no process of sentinel left.
t=$SECONDS
kill -TERM "$agent_pid"
rc=0; wait "$agent_pid" || rc=$?
agent_pid=""
[ $rc -eq 0 ] || { cat "$log" >&2; fail "the agent exited $rc after SIGTERM, expected 0"; }
[ ! -e /run/sentinel/lua.sock ] || fail "the socket is still there after the stop"
[ ! -e /run/sentinel/lua-admin.sock ] || fail "the admin socket is still there after the stop"
! pgrep -u sentinel >/dev/null || fail "processes of sentinel are left: $(pgrep -u sentinel -a)"
say "SIGTERM: exit 0 in $((SECONDS - t)) s, sockets removed, no worker left"
rm -f "$test_script"

# Reinstall over an edited conffile: dpkg keeps the edit (the packaged file did not change).
echo "// edited by package-it" >> /etc/sentinel/lua-agent.kdl
out=$(dpkg --install "$deb" 2>&1) || fail "dpkg --install (again): $out"
tail -1 /etc/sentinel/lua-agent.kdl | grep -q "edited by package-it" || fail "reinstalling replaced the edited conffile"
say "reinstall: the edited /etc/sentinel/lua-agent.kdl was kept"

out=$(dpkg --remove $name 2>&1) || fail "dpkg --remove: $out"
[ ! -e /usr/share/$name ] || fail "/usr/share/$name is left after remove: $(find /usr/share/$name | head -3)"
[ ! -e /usr/bin/$name ] && [ ! -e /usr/lib/systemd/system/$name.service ] || fail "files are left after remove"
[ -e /etc/sentinel/lua-agent.kdl ] || fail "remove (not purge) deleted the conffile"
out=$(dpkg --purge $name 2>&1) || fail "dpkg --purge: $out"
[ ! -e /etc/sentinel/lua-agent.kdl ] || fail "/etc/sentinel/lua-agent.kdl is left after purge"
[ "$run_existed" = true ] || rm -rf /run/sentinel   # systemd removes RuntimeDirectory= at stop
after=$(snapshot)
[ "$before" = "$after" ] || fail "purge left files behind: $(diff <(echo "$before") <(echo "$after") | grep '^>' | head -5)"
say "remove kept the conffile; purge removed it; nothing is left under ${watched[*]}"
getent passwd sentinel >/dev/null && say "the user and group sentinel stay after purge (by design); the test removes the ones it created"

say "done in $((SECONDS - started)) s"
