-- wrk script for the HTTP scenarios.
--   wrk ... -s shields.lua URL -- post      POST /shields, the same JSON body every time
--   wrk ... -s shields.lua URL -- get N     GET /shields/{id}, id random in 1..N
-- done() prints one machine-readable line that run.sh reads:
--   wrk-result <requests/s> <p50 ms> <p99 ms> <non-2xx> <socket errors> <requests>

local post, max_id

function init(args)
  if args[1] == "post" then
    post = wrk.format("POST", "/shields", { ["Content-Type"] = "application/json" },
      '{"name":"Bench shield","defenseRating":50}')
  else
    max_id = tonumber(args[2]) or 1
  end
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end

function request()
  return post or wrk.format("GET", "/shields/" .. math.random(max_id))
end

function done(summary, latency, requests)
  local e = summary.errors
  -- wrk counts every response whose status is 400 or more in errors.status; neither server answers 1xx or 3xx here.
  io.write(string.format("wrk-result %.0f %.3f %.3f %d %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout, summary.requests))
end
