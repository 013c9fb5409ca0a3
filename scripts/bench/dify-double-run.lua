-- wrk script: POST a zero-latency workflow run to the Dify double.
-- Usage: wrk -t2 -c64 -d20s -s scripts/bench/dify-double-run.lua http://127.0.0.1:PORT/v1/workflows/run
-- Set WRK_RESPONSE_MODE=blocking to measure blocking runs instead of streaming ones.
local mode = os.getenv("WRK_RESPONSE_MODE") or "streaming"
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer app-bench"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"inputs": {"topic": "bench", "mode": "plain"}, "response_mode": "' .. mode .. '", "user": "bench-user"}'

function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. "\n")
  end
end
