-- SPDX-License-Identifier: GPL-3.0-or-later
-- wrk script: authorized FHIR searches rotating over a few patients.
-- SB_TOKEN and SB_PATH_PREFIX (the FHIR base path) come from the environment.
local token = os.getenv("SB_TOKEN")
local base = os.getenv("SB_PATH_PREFIX")
local patients = {}
for p in string.gmatch(os.getenv("SB_PATIENTS") or "", "[^,]+") do
  patients[#patients + 1] = p
end
local i = 0

request = function ()
  i = i + 1
  local p = patients[(i % #patients) + 1]
  return wrk.format("GET", base .. "Condition?patient=" .. p .. "&_count=10",
                    { ["Authorization"] = "Bearer " .. token })
end

local statuses = {}
response = function (status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function (summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d non2xx=%d socket_errors=%d\n",
                         summary.requests / (summary.duration / 1e6),
                         latency:percentile(50) / 1000, latency:percentile(99) / 1000,
                         summary.requests, non2xx,
                         summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
