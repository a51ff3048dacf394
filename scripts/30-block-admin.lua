-- name: block-admin
-- version: 1.0.0
-- hook: request_headers
-- paths: /admin/**
-- priority: 20
--
-- The admin area is read-only through this proxy: every request under /admin
-- (including /admin itself) whose method is not GET is blocked with 403.

function on_request_headers(request)
    local method = request:get_method()
    if method ~= "GET" then
        sentinel.log("warn", "blocked " .. method .. " " .. request:get_path()
            .. " from " .. request:get_source_ip())
        sentinel.add_tag("admin-write-blocked")
        sentinel.set_decision("block", 403, "Forbidden: the admin area is read-only")
    end
end
