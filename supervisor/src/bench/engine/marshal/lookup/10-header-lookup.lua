-- name: header-lookup
-- hook: request_headers
--
-- Reads one header by name from request.headers, as most scripts do: against 10-empty.lua, what
-- a lookup costs without the whole table being built, measured by the script-engine comparison.
function on_request_headers(request)
    local auth = request.headers["authorization"]
end
