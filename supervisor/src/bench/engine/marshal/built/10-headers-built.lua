-- name: headers-built
-- hook: request_headers
--
-- Takes the length of request.headers, which makes the sandbox build the whole table of the
-- event's 20 headers (any operation on the whole table does) and then finds no array part:
-- against 10-empty.lua, the event-to-Lua marshalling alone, measured by the script-engine
-- comparison.
function on_request_headers(request)
    local length = #request.headers
end
