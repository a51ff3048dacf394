-- name: security-headers
-- version: 1.0.0
-- hook: response_headers
-- priority: 200
--
-- Adds common security headers to every response (replacing any value the
-- upstream sent) and removes headers that advertise the upstream's software.

local SECURITY_HEADERS = {
    { "Strict-Transport-Security", "max-age=31536000; includeSubDomains" },
    { "X-Content-Type-Options", "nosniff" },
    { "X-Frame-Options", "DENY" },
    { "Referrer-Policy", "strict-origin-when-cross-origin" },
    { "Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'" },
}

local REVEALING_HEADERS = { "Server", "X-Powered-By" }

function on_response_headers(response)
    for _, header in ipairs(SECURITY_HEADERS) do
        response:set_header(header[1], header[2])
    end
    for _, name in ipairs(REVEALING_HEADERS) do
        if response:get_header(name) then
            response:remove_header(name)
        end
    end
end
