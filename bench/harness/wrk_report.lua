-- wrk script of the examfn harness: optional POST body from $WRK_BODY_FILE, and one
-- machine-readable summary line (latencies in microseconds) at the end.
local body_file = os.getenv("WRK_BODY_FILE")
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.method = "POST"
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/json"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"errors":%d,"status":%d,"p50":%d,"p90":%d,"p99":%d,"min":%d,"max":%d,"mean":%.1f}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.min, latency.max, latency.mean))
end
