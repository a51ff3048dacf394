-- name: body-scan
-- version: 1.0.0
-- hook: request_body
-- priority: 100
--
-- Scans the whole request body for three attack markers.

function on_request_body(request, body)
    if #body > 1048576 then
        sentinel.set_decision("block", 413, "Content Too Large")
        return
    end
    if body:find("<script", 1, true) or body:find("UNION SELECT", 1, true) or body:find("../../", 1, true) then
        sentinel.add_tag("body-attack")
        sentinel.set_decision("block", 403, "Forbidden")
        return
    end
    sentinel.set_decision("allow")
end
