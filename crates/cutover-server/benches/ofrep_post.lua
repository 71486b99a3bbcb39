-- wrk script: single-flag OFREP evaluations, a distinct targeting key per request.
-- The token comes from the environment (TOKEN), never from this file.
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.headers["Content-Type"] = "application/json"
local counter = 0
request = function()
  counter = counter + 1
  local body = '{"context":{"targetingKey":"user-' .. counter .. '","tenant":"acme"}}'
  return wrk.format(nil, "/ofrep/v1/evaluate/flags/checkout", nil, body)
end
