-- Warm-up script of every Lua VM: run once through the same bridge as real calls before the
-- worker reports ready, so that the first real request does not pay for class loading and the
-- interpreter's first runs. It touches what typical scripts use and decides nothing that leaves
-- the VM. It never sees the operators' scripts or their globals.

-- One function per library module, called only for the modules the operators' scripts name
-- (LIBRARIES_TO_WARM, set by the worker before the hook runs): each calls what scripts commonly
-- use of its module, so that their first calls in a new worker do not run cold.
LIBRARY_WARM_UPS = {
    crypto = function(text)
        return crypto.hmac_sha256("warm-up", text) .. crypto.sha256(text) .. crypto.sha1(text) .. crypto.md5(text)
    end,
    encoding = function(text)
        local token = encoding.base64url_encode(encoding.hex_decode(encoding.hex_encode(text)))
        return encoding.base64_decode(encoding.base64_encode(encoding.base64url_decode(token)))
    end,
    json = function(text)
        local value = json.decode('{"sub":"warm-up","exp":1,"roles":["a","b"],"n":1.5,"ok":true,"none":null}')
        value.text = text
        return json.encode(value)
    end,
    regex = function(text)
        local _, first = regex.find("(\\w+)-(\\d+)", "warm-up-42")
        return tostring(regex.match("(?i)^/WARM", text)) .. first
            .. regex.replace("\\d", "a1b2", "#") .. #regex.find_all("[a-z]", "warm")
    end,
    http = function(text)
        local cookies = http.parse_cookies("a=b; session=warm-up")
        return http.url_decode(http.url_encode(text)) .. cookies.session
    end,
    time = function()
        return time.format(time.now(), "%Y-%m-%dT%H:%M:%S")
    end,
}

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
    local warmed = {}
    for _, name in ipairs(LIBRARIES_TO_WARM) do
        if pcall(LIBRARY_WARM_UPS[name], path) then
            warmed[#warmed + 1] = name
        end
    end
    sentinel.add_metadata("warm-up-libraries", table.concat(warmed, ","))
    sentinel.add_tag("warm-up")
    sentinel.add_metadata("warm-up", tostring(count))
    sentinel.set_decision("allow")
    return { decision = "allow", add_response_headers = { ["X-Warm-Up"] = "1" } }
end
