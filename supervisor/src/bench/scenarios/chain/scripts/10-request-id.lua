-- name: request-id
-- version: 1.0.0
-- hook: request_headers
-- priority: 10
--
-- Every request: pass the correlation id upstream as X-Request-Id unless the client sent one.

function on_request_headers(request)
    if not request:get_header("x-request-id") then
        request:set_header("X-Request-Id", request:get_correlation_id())
    end
end
