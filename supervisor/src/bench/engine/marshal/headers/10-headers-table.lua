-- name: headers-table
-- hook: request_headers
--
-- Lists request.headers: against 10-empty.lua, the cost of turning the event's 20 headers into
-- a Lua table (event-to-Lua marshalling), measured by the script-engine comparison.
function on_request_headers(request)
    for _ in pairs(request.headers) do
    end
end
