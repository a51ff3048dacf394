# %pre of sentinel-lua-agent: the system group and user "sentinel" (never removed again:
# files owned by the uid may remain, and the proxy may share the user).
getent group sentinel >/dev/null || groupadd -r sentinel
getent passwd sentinel >/dev/null || \
    useradd -r -g sentinel -d / -M -s /sbin/nologin -c "Sentinel Lua agent" sentinel
exit 0
