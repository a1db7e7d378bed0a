-- Drives wrk for lib/wrk.ts: one request shape (method, path, headers, body from a file), optionally a path of
-- its own per request or a random key in the path and body, and at the end the counts and 1,000 latency
-- quantiles in a form wrk.ts parses.
-- Arguments (after `--`): method, path, unique ("1" or "0"), body file ("" for none), random-key token ("" for
-- none), random-key bound, then "name: value" headers.
local method, path, unique, body, token, below
local headers = {}
local counter = 0

function init(args)
  method, path, unique = args[1], args[2], args[3] == "1"
  if args[4] ~= "" then
    local file = assert(io.open(args[4], "rb"))
    body = file:read("*a")
    file:close()
  end
  if args[5] ~= "" then
    -- The token is letters, digits and underscores, so it needs no escaping as a Lua pattern.
    token, below = args[5], tonumber(args[6])
    math.randomseed(os.time())
  end
  for i = 7, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    headers[name] = value
  end
end

function request()
  local target, payload = path, body
  if unique then
    target = path .. "-" .. counter
    counter = counter + 1
  end
  if token then
    local key = tostring(math.random(0, below - 1))
    target = target:gsub(token, key)
    if payload then payload = payload:gsub(token, key) end
  end
  return wrk.format(method, target, headers, payload)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("WRK_SUMMARY %d %d %d %d %d\n", summary.requests, summary.duration,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout, errors.timeout))
  local quantiles = {}
  for i = 1, 1000 do quantiles[i] = latency:percentile(i / 10) end
  io.write("WRK_QUANTILES " .. table.concat(quantiles, " ") .. "\n")
end
