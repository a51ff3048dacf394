#!/usr/bin/env bash
# The .deb under a real systemd with cgroup v2, run by `mvn verify` (integration-test phase of
# the packaging module) after package-it.sh.
#
#   systemd-vm-it.sh BUILD_DIR DEB_ARCH
#
# package-it.sh runs the installed agent in an emulation of the unit's sandbox, because PID 1 of
# a build machine is rarely systemd and its cgroups are often v1 or not delegable. This test
# boots a Debian 12 virtual machine instead (debootstrap, then qemu with CPU emulation, so no
# KVM is needed), with systemd as PID 1 and cgroup v2, installs the .deb there and runs
# systemd-vm-checks.sh: the unit as systemd starts it (hardening, Delegate=), the per-worker
# cgroups and their limits, status and reload, a supervisor killed and restarted, a worker killed
# by the kernel's OOM killer, stop and purge. It takes about five minutes, most of it debootstrap
# and JVMs on an emulated CPU.
#
# Runs in CI (CI=true) or with -Dpackages.it.vm=true, as root, where qemu-system-x86_64,
# debootstrap, mkfs.ext4 and debugfs exist (Debian: apt-get install qemu-system-x86 debootstrap)
# and the Debian mirror is reachable (VM_IT_MIRROR, default http://deb.debian.org/debian).
# Otherwise it says "SKIPPED <reason>". A failed check ends the test with "FAILED".
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR DEB_ARCH" >&2; exit 2; }
build=$1 deb_arch=$2
name=sentinel-lua-agent
here=$(cd "$(dirname "$0")" && pwd)
started=$SECONDS

say() { echo "systemd-vm-it [$((SECONDS - started))s]: $*"; }
skip() { echo "systemd-vm-it: SKIPPED $*"; exit 0; }
fail() { echo "systemd-vm-it: FAILED $*" >&2; exit 1; }

[ "${PACKAGE_IT_SKIP:-false}" != true ] || skip "-Dpackages.it.skip=true"
[ "${PACKAGE_IT_SKIP_TESTS:-false}" != true ] || skip "-DskipTests"
[ "${PACKAGE_IT_SKIP_ITS:-false}" != true ] || skip "-DskipITs"
if [ "${CI:-false}" != true ] && [ "${PACKAGE_IT_VM:-false}" != true ]; then
    skip "boots a virtual machine for about five minutes; runs in CI (CI=true) or with -Dpackages.it.vm=true"
fi
[ "$deb_arch" = amd64 ] && [ "$(uname -m)" = x86_64 ] || skip "the virtual machine is x86_64 only (this is $(uname -m), package $deb_arch)"
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap), running as $(id -un)"
for tool in qemu-system-x86_64 debootstrap mkfs.ext4 debugfs; do
    command -v $tool >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v $tool >/dev/null 2>&1 \
        || skip "$tool is not installed (Debian: apt-get install qemu-system-x86 debootstrap)"
done
export PATH=$PATH:/usr/sbin:/sbin
deb=$(ls -t "$build"/${name}_*_"$deb_arch".deb 2>/dev/null | head -1 || true)
[ -n "$deb" ] || fail "no $build/${name}_*_$deb_arch.deb (the package phase builds it)"

work=$build/systemd-vm
root=$work/root
mkdir -p "$work"
rm -f "$work/disk.img" "$work/console.log"

# Debian 12 with systemd and D-Bus (systemd-run needs it), a kernel, python3 for the test client
# and procps for pgrep. The tree is kept for the next run in this build directory (the machine
# writes only to its disk image).
mirror=${VM_IT_MIRROR:-http://deb.debian.org/debian}
suite="bookworm systemd,systemd-sysv,dbus,udev,kmod,linux-image-amd64,python3,procps"
if [ "$(cat "$work/root.stamp" 2>/dev/null)" = "$suite $mirror" ]; then
    say "reusing the debootstrap tree $root"
else
    rm -rf "$root" "$work/root.stamp"
    t=$SECONDS
    debootstrap --variant=minbase --include="${suite#* }" "${suite%% *}" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
        || { tail -20 "$work/debootstrap.log" >&2; fail "debootstrap from $mirror (log: $work/debootstrap.log)"; }
    echo "$suite $mirror" > "$work/root.stamp"
    say "debootstrap ${suite%% *} from $mirror in $((SECONDS - t)) s"
fi

echo '/dev/vda / ext4 defaults 0 1' > "$root/etc/fstab"
echo vm-it > "$root/etc/hostname"
# The console is the test's output: no login prompt on it.
ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
rm -rf "$root/root/vm-it"
mkdir -p "$root/root/vm-it"
cp "$deb" "$here/systemd-vm-checks.sh" "$here/check-process.sh" "$here/agent_client.py" "$root/root/vm-it/"
cat > "$root/etc/systemd/system/vm-it.service" <<'UNIT'
[Unit]
Description=systemd-vm-checks.sh, then power off
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'bash /root/vm-it/systemd-vm-checks.sh 2>&1 | tee /root/vm-it/log > /dev/ttyS0; sync'
ExecStartPost=/bin/systemctl --no-block poweroff
[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/vm-it.service "$root/etc/systemd/system/multi-user.target.wants/vm-it.service"

kernel=$(ls "$root"/boot/vmlinuz-* | head -1)
initrd=$(ls "$root"/boot/initrd.img-* | head -1)
truncate -s 3G "$work/disk.img"
mkfs.ext4 -q -F -d "$root" "$work/disk.img"

# CPU emulation (TCG) with a CPU model of SSE4.2 and no AVX: the JIT's AVX code is the part of
# an emulator least exercised. 2 CPUs and 3 GiB, as the agent would have on a small host.
t=$SECONDS
rc=0
timeout 1500 qemu-system-x86_64 -accel tcg,thread=multi -cpu Nehalem -smp 2 -m 3072 \
    -nographic -no-reboot -nic none \
    -kernel "$kernel" -initrd "$initrd" -append "root=/dev/vda rw console=ttyS0 quiet" \
    -drive file="$work/disk.img",format=raw,if=virtio >"$work/console.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || { tail -40 "$work/console.log" >&2; fail "qemu exited $rc after $((SECONDS - t)) s (124: no power-off within 1500 s)"; }
log=$(debugfs -R 'cat /root/vm-it/log' "$work/disk.img" 2>/dev/null)
echo "$log" | sed 's/^/  /'
grep -q '^vm-it: PASSED' <<<"$log" || fail "the checks in the virtual machine failed (console: $work/console.log)"
say "passed: virtual machine up and down in $((SECONDS - t)) s"
