# Sourced by package-it.sh and systemd-vm-checks.sh, which define fail() and name.
#
# check_process PID WHAT [seccomp]: the process runs the bundled java as the user sentinel, with
# no_new_privs and no capabilities; with "seccomp" also under a system call filter.
check_process() {
    local pid=$1 what=$2 seccomp=${3:-}
    [ "$(readlink /proc/"$pid"/exe)" = /usr/share/$name/runtime/bin/java ] || fail "$what ($pid) runs $(readlink /proc/"$pid"/exe)"
    [ "$(stat -c %U /proc/"$pid")" = sentinel ] || fail "$what ($pid) does not run as sentinel"
    grep -q '^NoNewPrivs:[[:space:]]*1' /proc/"$pid"/status || fail "$what ($pid) lacks no_new_privs"
    grep -q '^CapBnd:[[:space:]]*0*$' /proc/"$pid"/status || fail "$what ($pid) has capabilities in its bounding set"
    [ "$seccomp" != seccomp ] || grep -q '^Seccomp:[[:space:]]*2' /proc/"$pid"/status \
        || fail "$what ($pid) runs without a seccomp filter"
}
