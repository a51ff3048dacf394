# %preun of sentinel-lua-agent ($1: 0 = erase, 1 = upgrade). Like %systemd_preun: on erase,
# disable and stop the service before its files go.
if [ "$1" -eq 0 ]; then
    systemctl --no-reload disable --now sentinel-lua-agent.service >/dev/null 2>&1 || :
fi
exit 0
