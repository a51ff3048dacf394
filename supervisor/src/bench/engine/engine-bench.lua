-- The script engine alone: calls a scenario's script in a loop, with a plain-Lua stand-in for the
-- agent's request object and sentinel table, and prints CPU nanoseconds per call as one JSON
-- line. A script with on_request_headers gets a request whose headers are the load generator's
-- 20 (HEADERS_FILE); one with on_request_body also gets a 64 KiB body like the load generator's.
-- Runs unchanged on Lua 5.1 (LuaJIT), 5.2 (LuaJ) and 5.4.
--
-- usage: lua engine-bench.lua SCRIPT HEADERS_FILE [WARMUP_SECONDS] [SECONDS]
-- Globals a host may set first: bench_clock (a function returning CPU seconds; default
-- os.clock, which is CPU time in C Lua but wall time in LuaJ), bench_engine, bench_version.

local script, headers_file = arg[1], arg[2]
local warmup, seconds = tonumber(arg[3] or "2"), tonumber(arg[4] or "5")
local clock = bench_clock or os.clock

local engine = bench_engine or (jit and "luajit") or _VERSION:gsub("^Lua ", "lua")
local version = bench_version or (jit and jit.version) or _VERSION

-- the request headers, as request.headers shows them: lower-case name -> value
local headers = {}
local count = 0
for line in io.lines(headers_file) do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then
        headers[name:lower()] = value
        count = count + 1
    end
end
assert(count == 20, "expected 20 headers in " .. headers_file .. ", found " .. count)

-- stand-ins for what the agent gives a script
local decision
sentinel = {
    set_decision = function(d) decision = d end,
    add_tag = function() end,
    add_metadata = function() end,
    log = function() end,
}
local Request = {}
Request.__index = Request
function Request:add_header(name, value)
    local added = self.added
    added[#added + 1] = name
    added[#added + 1] = value
end
Request.set_header = Request.add_header

dofile(script)
local hook
if on_request_body then
    -- a JSON list of orders cut to 64 KiB, as the load generator's body events carry
    local orders = {}
    local size = 1
    local i = 0
    while size < 65536 do
        local item = string.format('{"sku":"SKU-%d","qty":%d,"note":"deliver to the back door, ring twice"},',
            100000 + i, 1 + i % 9)
        orders[#orders + 1] = item
        size = size + #item
        i = i + 1
    end
    local body = ("[" .. table.concat(orders)):sub(1, 65536)
    assert(#body == 65536)
    hook = function(request) return on_request_body(request, body) end
else
    hook = assert(on_request_headers, script .. " defines neither on_request_headers nor on_request_body")
end

local function run(n)
    for _ = 1, n do
        hook(setmetatable({headers = headers, method = "GET", path = "/api/users", added = {}}, Request))
    end
end

local batch = on_request_body and 10 or 1000
local t0 = clock()
while clock() - t0 < warmup do
    run(batch)
end
local calls, start, now = 0, clock(), clock()
while now - start < seconds do
    run(batch)
    calls = calls + batch
    now = clock()
end
assert(decision == "allow", "the script decided " .. tostring(decision) .. ", expected allow")
print(string.format('{"kind":"engine","engine":"%s","version":"%s","script":"%s","ns_per_call":%.1f,"calls":%d}',
    engine, version, script:match("[^/]+$"), (now - start) * 1e9 / calls, calls))
