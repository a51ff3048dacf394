-- name: order-routing
-- version: 1.0.0
-- hook: request_headers
-- paths: /api/orders/*
-- methods: POST
-- priority: 40
--
-- New orders go to the write pool; the order id travels as a header.

function on_request_headers(request)
    local id = request:get_path():match("^/api/orders/(%d+)$")
    if id then
        request:set_header("X-Order-Id", id)
    end
    sentinel.add_metadata("upstream-pool", "orders-write")
end
