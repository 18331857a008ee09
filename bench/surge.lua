-- wrk script of bench/surge (see bench/README.md): every connection submits one family's
-- day after another. Arguments: the plan file written by bench/surge.py, the thread count.
-- Plan: line 1 the path, line 2 the surge days, then one line per household:
-- token TAB body-before-day TAB body-between TAB body-after (the day goes in twice: the
-- date booked and the idempotency key). Thread n takes households n, n + threads, …; once
-- through them it moves to the next day, so every (household, day) is submitted once.
local threads = {}
local count = 0

function setup(thread)
  thread:set("id", count)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  local plan, nthreads = args[1], tonumber(args[2])
  local n = 0
  days, mine = {}, {}
  for line in io.lines(plan) do
    n = n + 1
    if n == 1 then
      path = line
    elseif n == 2 then
      for day in line:gmatch("%S+") do days[#days + 1] = day end
    elseif (n - 3) % nthreads == id then
      local token, a, b, c = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
      mine[#mine + 1] = {
        headers = {
          ["Authorization"] = "Bearer " .. token,
          ["Content-Type"] = "application/json",
          ["Accept"] = "application/json",
        },
        a = a, b = b, c = c,
      }
    end
  end
  sent, ok, bad, shed, first_error = 0, 0, 0, 0, ""
end

function request()
  local item = mine[sent % #mine + 1]
  local day = days[math.floor(sent / #mine) + 1] or "ran-out-of-days"
  sent = sent + 1
  return wrk.format("POST", path, item.headers, item.a .. day .. item.b .. day .. item.c)
end

function response(status, headers, body)
  if status == 200 and not body:find('"errors":[{', 1, true)
      and not body:find('"error"', 1, true) and not body:find('REJECTED', 1, true) then
    ok = ok + 1
  elseif status == 503 then
    shed = shed + 1
  else
    bad = bad + 1
    if first_error == "" then first_error = status .. " " .. body:sub(1, 300) end
  end
end

function done(summary, latency, requests)
  local o, b, s, e = 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    o = o + thread:get("ok")
    b = b + thread:get("bad")
    s = s + thread:get("shed")
    if e == "" then e = thread:get("first_error") end
  end
  local errors = summary.errors
  io.write(string.format(
    'SURGE {"requests": %d, "seconds": %.3f, "ok": %d, "bad": %d, "shed": %d, '
      .. '"socket_errors": %d, "timeouts": %d, "p50": %.3f, "p90": %.3f, "p99": %.3f, '
      .. '"max": %.3f}\n',
    summary.requests, summary.duration / 1e6, o, b, s,
    errors.connect + errors.read + errors.write, errors.timeout,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3))
  if e ~= "" then io.write("SURGE_ERROR " .. e:gsub("\n", " ") .. "\n") end
end
