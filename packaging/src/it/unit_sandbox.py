#!/usr/bin/env python3
"""Runs a command inside an approximation of the sandbox of sentinel-lua-agent.service.

PID 1 on the CI machine is not systemd, so the unit itself cannot be started there. This script
applies, with the same kernel mechanisms systemd uses, the unit settings that could break a JVM,
so that the package test runs the agent and its worker JVMs under them:

  PrivateNetwork=yes            a new network namespace
  ProtectSystem=strict          / read-only in a private mount namespace, except the --rw paths
                                (RuntimeDirectory=); /proc, /sys, /dev keep their own mounts
  PrivateTmp=yes                fresh tmpfs on /tmp and /var/tmp
  CapabilityBoundingSet=        every capability dropped from the bounding set
  User= / Group=                setgroups, setresgid, setresuid to the service user
  NoNewPrivileges=yes           PR_SET_NO_NEW_PRIVS
  UMask=0077                    umask 077
  SystemCallArchitectures=native, SystemCallFilter=@system-service, SystemCallFilter=~@privileged,
  SystemCallErrorNumber=EPERM   a seccomp allow-list built from `systemd-analyze syscall-filter`
  RestrictAddressFamilies=AF_UNIX  socket() of any other family fails with EAFNOSUPPORT
  environment                   a clean one, as systemd sets it

Not emulated (and printed as such): PrivateDevices, PrivateIPC, ProtectKernel*, ProtectClock,
ProtectHostname, ProtectProc, RestrictNamespaces, RestrictRealtime, RestrictSUIDSGID,
LockPersonality, IPAddressDeny, Delegate.

usage: unit_sandbox.py --user USER [--rw PATH]... -- COMMAND [ARG]...
Must run as root. Exits with 125 (and a message) when the sandbox cannot be set up.
"""
import argparse
import ctypes
import os
import pwd
import re
import struct
import subprocess
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
PR_CAPBSET_DROP, PR_SET_SECCOMP, PR_SET_NO_NEW_PRIVS = 24, 22, 38
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO = 0x7FFF0000, 0x00050000
AUDIT_ARCH_X86_64 = 0xC000003E
EPERM, EAFNOSUPPORT, AF_UNIX = 1, 97, 1
BPF_LD_W_ABS, BPF_JEQ_K, BPF_RET_K = 0x20, 0x15, 0x06
SECCOMP_DATA_NR, SECCOMP_DATA_ARCH, SECCOMP_DATA_ARG0 = 0, 4, 16
UNISTD = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"
NOT_EMULATED = ("PrivateDevices PrivateIPC ProtectKernelTunables ProtectKernelModules ProtectKernelLogs "
                "ProtectClock ProtectHostname ProtectProc RestrictNamespaces RestrictRealtime "
                "RestrictSUIDSGID LockPersonality IPAddressDeny Delegate")

libc = ctypes.CDLL(None, use_errno=True)


class SetupError(Exception):
    pass


def check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(err)}")


def mount(source, target, fstype, flags, data=None):
    enc = lambda s: s.encode() if s is not None else None
    check(libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
          f"mount {target}")


def syscall_groups():
    """Every group of `systemd-analyze syscall-filter`: name -> members (syscalls and @groups)."""
    out = subprocess.run(["systemd-analyze", "syscall-filter"], check=True, capture_output=True, text=True).stdout
    groups, current = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.split()[0], [])
        elif current is not None and line.strip() and not line.strip().startswith("#"):
            current.append(line.strip())
    return groups


def expand(name, groups, seen=None):
    seen = set() if seen is None else seen
    result = set()
    for member in groups[name]:
        if member.startswith("@"):
            if member not in seen:
                seen.add(member)
                result |= expand(member, groups, seen)
        else:
            result.add(member)
    return result


def syscall_numbers():
    numbers = {}
    with open(UNISTD) as f:
        for line in f:
            m = re.match(r"#define __NR_(\w+)\s+(\d+)", line)
            if m:
                numbers[m.group(1)] = int(m.group(2))
    return numbers


def seccomp_program(allowed):
    """BPF: native arch only; socket() only for AF_UNIX; allowed syscalls; everything else EPERM."""
    insns = []
    add = lambda code, jt, jf, k: insns.append((code, jt, jf, k))
    add(BPF_LD_W_ABS, 0, 0, SECCOMP_DATA_ARCH)
    add(BPF_JEQ_K, 1, 0, AUDIT_ARCH_X86_64)
    add(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | EPERM)
    add(BPF_LD_W_ABS, 0, 0, SECCOMP_DATA_NR)
    # socket(family, ...): AF_UNIX passes, any other family fails like RestrictAddressFamilies=.
    add(BPF_JEQ_K, 0, 4, 41)  # __NR_socket
    add(BPF_LD_W_ABS, 0, 0, SECCOMP_DATA_ARG0)
    add(BPF_JEQ_K, 0, 1, AF_UNIX)
    add(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW)
    add(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | EAFNOSUPPORT)
    for nr in sorted(allowed):
        add(BPF_JEQ_K, 0, 1, nr)
        add(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW)
    add(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | EPERM)
    return insns


def install_seccomp(insns):
    raw = b"".join(struct.pack("HBBI", *i) for i in insns)
    buf = ctypes.create_string_buffer(raw, len(raw))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = SockFprog(len(insns), ctypes.cast(buf, ctypes.c_void_p))
    check(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0), "seccomp filter")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--user", required=True)
    parser.add_argument("--rw", action="append", default=[])
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")
    if os.geteuid() != 0:
        raise SetupError("must run as root")
    user = pwd.getpwnam(args.user)

    # System call allow-list, computed before anything is locked down.
    groups = syscall_groups()
    numbers = syscall_numbers()
    names = expand("@system-service", groups) - expand("@privileged", groups)
    allowed = {numbers[n] for n in names if n in numbers}
    insns = seccomp_program(allowed)
    if len(insns) > 4096:
        raise SetupError(f"seccomp program too long ({len(insns)} instructions)")

    # Namespaces and mounts (PrivateNetwork=, ProtectSystem=strict, PrivateTmp=).
    check(libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare")
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    for path in args.rw:
        mount(path, path, None, MS_BIND | MS_REC)
    for path in ("/tmp", "/var/tmp"):
        mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    mount("/", "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY)

    # CapabilityBoundingSet=, User=, Group=, NoNewPrivileges=.
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last_cap = int(f.read())
    for cap in range(last_cap + 1):
        check(libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), f"drop capability {cap}")
    os.setgroups([user.pw_gid])
    os.setresgid(user.pw_gid, user.pw_gid, user.pw_gid)
    os.setresuid(user.pw_uid, user.pw_uid, user.pw_uid)
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    os.chdir("/")
    os.umask(0o077)

    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin",
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "USER": user.pw_name, "LOGNAME": user.pw_name, "HOME": user.pw_dir, "SHELL": user.pw_shell,
    }
    if args.rw:
        env["RUNTIME_DIRECTORY"] = args.rw[0]
    print(f"unit_sandbox: user {user.pw_name}, private network and mounts, / read-only except "
          f"{' '.join(args.rw) or '-'}, private /tmp, no capabilities, no_new_privs, "
          f"umask 077, {len(allowed)} system calls allowed (EPERM otherwise), socket() AF_UNIX only; "
          f"not emulated: {NOT_EMULATED}", file=sys.stderr, flush=True)
    install_seccomp(insns)
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    try:
        main()
    except (SetupError, OSError, subprocess.CalledProcessError, KeyError) as e:
        print(f"unit_sandbox: cannot set up the sandbox: {e}", file=sys.stderr)
        sys.exit(125)
