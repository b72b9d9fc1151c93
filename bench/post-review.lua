-- wrk script: POST an AdmissionReview read from $BODY_FILE, like kube-apiserver does.
-- The body is read once at load time so the request is pre-built (no per-request Lua work).
local path = os.getenv("BODY_FILE")
if path == nil or path == "" then
  error("BODY_FILE env var must name the AdmissionReview JSON file")
end
local f = assert(io.open(path, "rb"))
local body = f:read("*a")
f:close()
-- Strip the file's trailing newline: the apiserver sends compact JSON with none.
body = body:gsub("%s+$", "")

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, */*"

-- Emit exact numbers for load.sh in one parseable line (latency in microseconds),
-- instead of scraping wrk's rounded, unit-suffixed human summary.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d status_errors=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
