-- name: header-check
-- version: 1.0.0
-- hook: request_headers
-- priority: 100
--
-- The header-only benchmark script, also run by the script-engine comparison (engine-bench.lua)
-- on plain Lua: it uses only request.headers, request:add_header and sentinel.set_decision.
-- Sums the size of all headers, requires a bearer token, turns away two scanners by their
-- user agent and marks the request as processed.

function on_request_headers(request)
    local headers = request.headers
    local size = 0
    for name, value in pairs(headers) do
        size = size + #name + #value
    end
    if size > 16384 then
        sentinel.set_decision("block", 431, "Request Header Fields Too Large")
        return
    end
    local auth = headers["authorization"]
    if not auth or auth:sub(1, 7) ~= "Bearer " then
        sentinel.set_decision("block", 401, "Unauthorized")
        return
    end
    local agent = headers["user-agent"] or ""
    if agent:find("sqlmap", 1, true) or agent:find("nikto", 1, true) then
        sentinel.set_decision("block", 403, "Forbidden")
        return
    end
    request:add_header("X-Processed-By", "sentinel-lua")
    sentinel.set_decision("allow")
end
