-- name: plain-pairs
-- hook: request_headers
--
-- Lists an ordinary table of 20 string keys, made once when the script loads, with pairs:
-- against 10-empty.lua, what LuaJ's own iteration costs, for comparison with listing
-- request.headers (10-headers-table.lua against 10-headers-built.lua).
local twenty = {}
for i = 1, 20 do
    twenty["x-header-" .. i] = "value " .. i
end

function on_request_headers(request)
    for _ in pairs(twenty) do
    end
end
