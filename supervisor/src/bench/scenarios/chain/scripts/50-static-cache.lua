-- name: static-cache
-- version: 1.0.0
-- hook: request_headers
-- paths: /static/**
-- methods: GET, HEAD
-- priority: 50
--
-- Static files: drop the cookie upstream and mark the request cacheable.

function on_request_headers(request)
    request:remove_header("cookie")
    request:set_header("X-Cache-Hint", "static")
    sentinel.add_metadata("cache", "static")
end
