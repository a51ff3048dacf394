-- name: class-archive-libraries
-- hook: request_headers
--
-- The class-archive command's own training script. It runs beside the scripts of the training run
-- and calls every library module, so that the workers' class archive holds the modules' classes
-- whichever of them the operators' scripts use; a worker whose scripts use a module warms it up
-- before it reports ready, and those classes then come from the archive.
function on_request_headers(request)
    local path = request:get_path()
    local mac = crypto.hmac_sha256("class-archive", path) .. crypto.sha256(path)
    local token = encoding.base64url_encode(encoding.hex_decode(mac))
    local summary = json.decode(json.encode({ path = path, token = token, at = time.now() }))
    local cookies = http.parse_cookies(request:get_header("cookie") or "training=1")
    if regex.match("(?i)^/class-archive/[0-9]+$", http.url_decode(summary.path)) then
        sentinel.add_tag(time.format(summary.at, "%Y-%m-%d") .. (cookies.training or ""))
    end
end
