-- name: empty
-- hook: request_headers
--
-- Does nothing: one sandboxed call of it is the sandbox's fixed cost per call (request object,
-- budgets, script selection, verdict), measured by the script-engine comparison.
function on_request_headers(request)
end
