-- name: admin-readonly
-- version: 1.0.0
-- hook: request_headers
-- paths: /admin/**
-- priority: 30
--
-- The admin area is read-only through the proxy: anything but GET is blocked.

function on_request_headers(request)
    if request:get_method() ~= "GET" then
        sentinel.add_tag("admin-write-blocked")
        sentinel.set_decision("block", 403, "Forbidden: the admin area is read-only")
    end
end
