#!/bin/bash
# Runs inside the virtual machine of systemd-vm-it.sh, as root, once systemd (PID 1, cgroup v2)
# has reached multi-user.target. Installs the .deb next to this script and checks the service as
# systemd runs it. Prints "vm-it: ok ..." per check; the first failure prints "vm-it: FAILED ...",
# the service's journal, and exits 1.
#
# The machine emulates its CPU (no KVM), so a JVM starts about twenty times slower than on the
# host: the only deviations from the packaged setup are a longer workers.start-timeout and
# TimeoutStartSec=, set before the install.
set -uo pipefail

name=sentinel-lua-agent
unit=$name.service
here=$(cd "$(dirname "$0")" && pwd)
deb=$(ls "$here"/${name}_*.deb)
service_cgroup=/sys/fs/cgroup/system.slice/$unit
started=$SECONDS

say() { echo "vm-it [$((SECONDS - started))s]: ok $*"; }
fail() {
    echo "vm-it [$((SECONDS - started))s]: FAILED $*"
    systemctl status --no-pager --full $unit 2>&1 | head -30
    journalctl --no-pager -o short-precise -u $unit -u vm-it-oom 2>&1 | tail -80
    exit 1
}
# wait_for SECONDS WHAT COMMAND...: until the command succeeds
wait_for() {
    local limit=$1 what=$2; shift 2
    local t=$SECONDS
    until "$@" >/dev/null 2>&1; do
        [ $((SECONDS - t)) -lt "$limit" ] || fail "waited ${limit} s for $what"
        sleep 0.5
    done
}
main_pid() { systemctl show -p MainPID --value $unit; }
request() {
    setpriv --reuid=nobody --regid=nogroup --groups="$(getent group sentinel | cut -d: -f3)" -- \
        /usr/bin/python3 - /run/sentinel/lua.sock --decision allow --tag lua:vm-it --set-header X-VM-IT=ok \
        <"$here/agent_client.py"
}

# --- the machine --------------------------------------------------------------------------
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || fail "/sys/fs/cgroup is not cgroup v2"
for c in cpu memory pids; do
    grep -qw $c /sys/fs/cgroup/cgroup.controllers || fail "cgroup v2 lacks the $c controller"
done
say "kernel $(uname -r), systemd $(systemctl --version | head -1 | cut -d' ' -f2), cgroup v2 [$(cat /sys/fs/cgroup/cgroup.controllers)]"

# --- install: postinst creates the user, enables and starts the unit ------------------------
mkdir -p /etc/sentinel/scripts /etc/systemd/system/$unit.d
printf '[Service]\nTimeoutStartSec=600\n' > /etc/systemd/system/$unit.d/emulated-cpu.conf
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./etc/sentinel/lua-agent.kdl > /etc/sentinel/lua-agent.kdl
printf '\nworkers {\n  start-timeout "300s"\n}\n' >> /etc/sentinel/lua-agent.kdl
cat > /etc/sentinel/scripts/zz-vm-it.lua <<'LUA'
-- name: vm-it
-- hook: request_headers
function on_request_headers(request)
    request:set_header("X-VM-IT", "ok")
    sentinel.set_decision("allow")
end
LUA
chmod 0644 /etc/sentinel/scripts/zz-vm-it.lua
t=$SECONDS
out=$(dpkg --install --force-confold "$deb" 2>&1) || fail "dpkg --install: $out"
[ "$(systemctl is-enabled $unit)" = enabled ] || fail "postinst did not enable $unit"
[ "$(systemctl is-active $unit)" = active ] || fail "postinst did not start $unit ($(systemctl is-active $unit))"
say "dpkg --install: $unit enabled and active after $((SECONDS - t)) s"

# --- processes: the bundled java as sentinel, no privileges, seccomp filter ------------------
source "$here/check-process.sh"
supervisor=$(main_pid)
check_process "$supervisor" supervisor seccomp
workers=$(pgrep -P "$supervisor" | tr '\n' ' ')
[ -n "$workers" ] || fail "the supervisor has no worker processes"
for worker in $workers; do check_process "$worker" worker seccomp; done
say "supervisor $supervisor and workers $workers: bundled java, user sentinel, no_new_privs, no capabilities, seccomp"

# --- cgroups: the supervisor in a leaf, each worker in its own cgroup with the limits ---------
[ "$(cat /proc/"$supervisor"/cgroup)" = "0::/system.slice/$unit/supervisor" ] \
    || fail "the supervisor is in $(cat /proc/"$supervisor"/cgroup), not <service>/supervisor"
for c in cpu memory pids; do
    grep -qw $c $service_cgroup/cgroup.subtree_control || fail "$c is not enabled for the service's children"
done
for worker in $workers; do
    path=$(sed -n 's/^0:://p' /proc/"$worker"/cgroup)
    [[ "$path" == "/system.slice/$unit/$name-$supervisor/worker-"* ]] || fail "worker $worker is in $path"
    dir=/sys/fs/cgroup$path
    [ "$(cat "$dir"/memory.max)" = 201326592 ] || fail "$dir/memory.max is $(cat "$dir"/memory.max)"
    [ "$(cat "$dir"/cpu.max)" = "100000 100000" ] || fail "$dir/cpu.max is $(cat "$dir"/cpu.max)"
    [ "$(cat "$dir"/pids.max)" = 128 ] || fail "$dir/pids.max is $(cat "$dir"/pids.max)"
    [ "$(cat "$dir"/cgroup.procs)" = "$worker" ] || fail "$dir holds $(cat "$dir"/cgroup.procs | tr '\n' ' ')"
done
say "cgroups: supervisor in $unit/supervisor; each worker alone in $unit/$name-$supervisor/worker-<id> (memory.max 201326592, cpu.max 100000 100000, pids.max 128)"

# --- the proxy's side: a request as a member of the group sentinel --------------------------
out=$(request 2>&1) || fail "the request through /run/sentinel/lua.sock failed: $out"
say "request answered: $(grep '^response:' <<<"$out" | cut -c1-160)"

# --- status and reload over the admin socket, without --config ------------------------------
out=$($name status 2>&1) || fail "$name status: $out"
grep -q "$name-$supervisor/worker-" <<<"$out" || fail "status does not show the workers' cgroups: $out"
say "status (no --config): $(sed -n 1p <<<"$out"); workers with their cgroups"
t=$SECONDS
out=$($name reload 2>&1) || fail "$name reload: $out"
say "reload over the admin socket in $((SECONDS - t)) s: $(head -1 <<<"$out")"
systemctl reload $unit || fail "systemctl reload"
wait_for 300 "the SIGHUP reload to be accepted" sh -c "journalctl -u $unit --no-pager | grep -q 'reload (SIGHUP) accepted'"
[ "$(main_pid)" = "$supervisor" ] || fail "systemctl reload restarted the agent"
out=$(request 2>&1) || fail "no answer after systemctl reload: $out"
say "systemctl reload: SIGHUP accepted, same supervisor, answers"

# --- a crash of the supervisor: systemd restarts it, the stale cgroups do not get in the way --
kill -KILL "$supervisor"
wait_for 300 "a restarted supervisor" sh -c "[ \"\$(systemctl is-active $unit)\" = active ] && [ \"\$(systemctl show -p MainPID --value $unit)\" != $supervisor ] && [ \"\$(systemctl show -p MainPID --value $unit)\" != 0 ]"
for worker in $workers; do
    [ ! -e /proc/"$worker" ] || fail "worker $worker of the killed supervisor is still running"
done
restarted=$(main_pid)
[ "$(cat /proc/"$restarted"/cgroup)" = "0::/system.slice/$unit/supervisor" ] || fail "the restarted supervisor is in $(cat /proc/"$restarted"/cgroup)"
out=$(request 2>&1) || fail "no answer after the restart: $out"
say "SIGKILL of the supervisor: systemd restarted it (pid $restarted), the old workers are gone, it answers"

# --- a breach: the kernel's OOM killer in a delegated cgroup v2, and how the agent names it ---
cat > /etc/sentinel/oom-it.kdl <<'KDL'
socket-path "/run/vm-it-oom/lua.sock"
scripts { directory "/etc/sentinel/scripts"; }
admin { socket-path "/run/vm-it-oom/admin.sock"; }
workers { count 1; heap-bytes 16777216; memory-bytes 23068672; start-timeout "300s"; }
KDL
rc=0
systemd-run --quiet --wait --collect --unit=vm-it-oom --service-type=exec -p User=sentinel -p Group=sentinel \
    -p Delegate=yes -p RuntimeDirectory=vm-it-oom /usr/bin/$name run --config /etc/sentinel/oom-it.kdl || rc=$?
[ $rc -eq 69 ] || fail "the agent whose worker cannot fit its memory limit exited $rc, expected 69"
journalctl -u vm-it-oom --no-pager | grep -q "killed: cgroup memory limit (oom_kill)" \
    || fail "the journal does not name the cgroup memory limit as the worker's end"
say "a worker over its memory.max (22 MiB): killed by the kernel, logged as 'cgroup memory limit (oom_kill)', agent exit 69"

# --- stop: exit 0, sockets and cgroups gone --------------------------------------------------
t=$SECONDS
systemctl stop $unit || fail "systemctl stop"
[ "$(systemctl show -p ExecMainStatus --value $unit)" = 0 ] || fail "the agent exited $(systemctl show -p ExecMainStatus --value $unit) on stop"
[ "$(systemctl show -p Result --value $unit)" = success ] || fail "stop result $(systemctl show -p Result --value $unit)"
[ ! -e /run/sentinel ] || fail "/run/sentinel is left after the stop"
[ ! -e $service_cgroup ] || fail "$service_cgroup is left after the stop: $(find $service_cgroup -type d | head -5)"
! pgrep -u sentinel >/dev/null || fail "processes of sentinel are left: $(pgrep -u sentinel -a)"
say "systemctl stop: exit 0 in $((SECONDS - t)) s, /run/sentinel and the service's cgroups removed"

out=$(dpkg --purge $name 2>&1) || fail "dpkg --purge: $out"
[ ! -e /etc/sentinel/lua-agent.kdl ] && [ ! -e /usr/share/$name ] || fail "files are left after purge"
say "dpkg --purge"
echo "vm-it: PASSED in $((SECONDS - started)) s"
