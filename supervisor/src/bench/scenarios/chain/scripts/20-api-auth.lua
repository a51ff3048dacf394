-- name: api-auth
-- version: 1.0.0
-- hook: request_headers
-- paths: /api/**
-- methods: GET, POST, PUT, DELETE
-- priority: 20
--
-- The API needs a bearer token of three dot-separated parts.

function on_request_headers(request)
    local auth = request:get_header("authorization")
    local token = auth and auth:match("^Bearer (.+)$")
    if not token or not token:match("^[%w_-]+%.[%w_-]+%.[%w_-]+$") then
        sentinel.add_tag("api-auth-missing")
        sentinel.set_decision("block", 401, "Unauthorized")
        return
    end
    request:set_header("X-Auth-Scheme", "bearer")
end
