# %postun of sentinel-lua-agent ($1: 0 = erase, 1 = upgrade). Like %systemd_postun_with_restart:
# after an upgrade, restart the service on the new files if it was running.
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
    if [ "$1" -ge 1 ]; then
        systemctl try-restart sentinel-lua-agent.service >/dev/null 2>&1 || :
    fi
fi
exit 0
