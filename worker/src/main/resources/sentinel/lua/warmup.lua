-- Warm-up script of every Lua VM: run once through the same bridge as real calls before the
-- worker reports ready, so that the first real request does not pay for class loading and the
-- interpreter's first runs. It touches what typical scripts use and decides nothing that leaves
-- the VM. It never sees the operators' scripts or their globals.
function on_request_headers(request)
    local agent = request:get_header("user-agent") or ""
    local path = request:get_path()
    local parts = {}
    for segment in path:gmatch("[^/]+") do
        parts[#parts + 1] = segment:lower()
    end
    local joined = table.concat(parts, ",")
    if joined:find("^warm") and agent:match("^warm") then
        request:add_header("X-Warm-Up", string.format("%s-%d", joined, #parts))
        request:set_header("X-Warm-Up", agent:upper())
        request:remove_header("X-Warm-Up")
    end
    local all = request:get_headers()
    local count = 0
    for _, values in pairs(all) do
        count = count + #values
    end
    local ok = pcall(function() return json.decode(json.encode({ path = path, count = count })) end)
    sentinel.ctx.warm = ok
    sentinel.add_tag("warm-up")
    sentinel.add_metadata("warm-up", tostring(count))
    sentinel.set_decision("allow")
    return { decision = "allow", add_response_headers = { ["X-Warm-Up"] = "1" } }
end
