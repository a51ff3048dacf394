# %post of sentinel-lua-agent ($1: 1 = install, 2 = upgrade). Like %systemd_post: on a fresh
# install the distribution's preset policy decides whether the unit is enabled; it is not
# started (systemctl enable --now sentinel-lua-agent).
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
fi
if [ "$1" -eq 1 ]; then
    systemctl --no-reload preset sentinel-lua-agent.service >/dev/null 2>&1 || :
fi
exit 0
