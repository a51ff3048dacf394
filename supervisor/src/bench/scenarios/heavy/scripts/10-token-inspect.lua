-- name: token-inspect
-- version: 1.0.0
-- hook: request_headers
-- priority: 100
--
-- Heavy on the libraries. It verifies the HS256 bearer token (crypto.hmac_sha256, encoding),
-- decodes its claims (json), checks the URI against an injection pattern and reads the browser
-- version (regex), parses the cookies (http), and passes a JSON summary with a user-agent
-- fingerprint (crypto.sha256) upstream.

local SECRET = "bench-secret"
local SUSPICIOUS = "(?i)(union\\s+select|<script|\\.\\./|%00)"

local function deny(reason)
    sentinel.add_tag("token-" .. reason)
    sentinel.set_decision("block", 401, "Unauthorized")
end

function on_request_headers(request)
    local auth = request:get_header("authorization")
    if not auth then
        return deny("missing")
    end
    local head, payload, signature = auth:match("^Bearer ([%w_-]+)%.([%w_-]+)%.([%w_-]+)$")
    if not head then
        return deny("malformed")
    end
    local mac = crypto.hmac_sha256(SECRET, head .. "." .. payload)
    if encoding.base64url_encode(encoding.hex_decode(mac)) ~= signature then
        return deny("signature")
    end
    local claims = json.decode(encoding.base64url_decode(payload))
    if type(claims.exp) ~= "number" or claims.exp < time.now() then
        return deny("expired")
    end
    if regex.match(SUSPICIOUS, http.url_decode(request:get_uri())) then
        sentinel.set_decision("block", 403, "Forbidden")
        return
    end
    local agent = request:get_header("user-agent") or ""
    local _, chrome = regex.find("Chrome/(\\d+)", agent)
    local cookies = http.parse_cookies(request:get_header("cookie"))
    request:set_header("X-Auth-Subject", claims.sub)
    request:set_header("X-Auth-Context", json.encode({
        sub = claims.sub,
        role = claims.role,
        session = cookies.session or json.null,
        chrome = chrome or json.null,
        fingerprint = crypto.sha256(agent),
    }))
    sentinel.add_metadata("role", claims.role)
    sentinel.set_decision("allow")
end
