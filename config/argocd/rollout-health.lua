-- Argo CD's health of a ramp Rollout (rollouts.ramp.dev/Rollout), read from the status ramp
-- writes: Healthy, Progressing, Suspended (paused: a pause step, spec.paused, an
-- inconclusive analysis) or Degraded (aborted, invalid spec, past its progress deadline, or
-- the controller failing to reconcile it).
local hs = {}

local function condition(status, type)
  if status.conditions ~= nil then
    for _, c in ipairs(status.conditions) do
      if c.type == type then
        return c
      end
    end
  end
  return nil
end

local status = obj.status
if status == nil or status.observedGeneration == nil or status.phase == nil or status.phase == "" then
  hs.status = "Progressing"
  hs.message = "Waiting for ramp to observe the Rollout"
  return hs
end
if obj.metadata.generation ~= nil and status.observedGeneration < obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for ramp to observe the latest spec"
  return hs
end

local invalid = condition(status, "InvalidSpec")
if invalid ~= nil and invalid.status == "True" then
  hs.status = "Degraded"
  hs.message = invalid.message
  return hs
end
local failing = condition(status, "ReconcileError")
if failing ~= nil and failing.status == "True" then
  hs.status = "Degraded"
  hs.message = "ramp cannot reconcile the Rollout: " .. (failing.message or "")
  return hs
end

if status.phase == "Healthy" then
  hs.status = "Healthy"
elseif status.phase == "Paused" then
  hs.status = "Suspended"
elseif status.phase == "Degraded" then
  hs.status = "Degraded"
else
  hs.status = "Progressing"
end
hs.message = status.message or ""
return hs
