-- wrk's script for benchmarks/api_throughput.py: each request posts a new order (a fresh external id per
-- thread and request) for one of the 1,000 bench customers. Arguments: the API key, a run name.
local counter = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  key = args[1]
  run = args[2] or "r"
end
request = function()
  counter = counter + 1
  local c = 1 + (tid * 7919 + counter) % 1000
  local body = string.format('{"external_id": "wrk-%s-%d-%d", "customer_external_id": "c%d", "placed_at": "2025-06-01T10:00:00Z", "total": "45.50", "currency": "EUR"}', run, tid, counter, c)
  return wrk.format("POST", "/api/v1/orders", {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, body)
end
function done(summary, latency, requests)
  io.write(string.format('{"requests": %d, "non2xx": %d, "socket_errors": %d, "p50_ms": %.1f, "p99_ms": %.1f, "duration_s": %.2f}\n',
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.duration / 1e6))
end
