-- Drives wrk for lib/wrk.ts: one request shape (method, path, headers, body from a file), optionally a path of
-- its own per request, and at the end the counts and 1,000 latency quantiles in a form wrk.ts parses.
-- Arguments (after `--`): method, path, unique ("1" or "0"), body file ("" for none), then "name: value" headers.
local method, path, unique, body
local headers = {}
local counter = 0

function init(args)
  method, path, unique = args[1], args[2], args[3] == "1"
  if args[4] ~= "" then
    local file = assert(io.open(args[4], "rb"))
    body = file:read("*a")
    file:close()
  end
  for i = 5, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    headers[name] = value
  end
end

function request()
  local target = path
  if unique then
    target = path .. "-" .. counter
    counter = counter + 1
  end
  return wrk.format(method, target, headers, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("WRK_SUMMARY %d %d %d %d %d\n", summary.requests, summary.duration,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout, errors.timeout))
  local quantiles = {}
  for i = 1, 1000 do quantiles[i] = latency:percentile(i / 10) end
  io.write("WRK_QUANTILES " .. table.concat(quantiles, " ") .. "\n")
end
