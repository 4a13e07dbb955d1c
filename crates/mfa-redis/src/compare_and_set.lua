-- mfa-redis: replace an account record if it is still at the expected version.
-- KEYS[1]  the account's key
-- ARGV[1]  the expected version, decimal
-- ARGV[2]  the new record's version, decimal
-- ARGV[3]  the new sealed record
-- Returns 1 when written, 0 when the stored version differs or there is no
-- record (nothing written).
-- Versions are compared as strings, never as Lua numbers: those are doubles,
-- which cannot tell 2^53 from 2^53 + 1. Both sides are written by mfa-redis in
-- the one canonical decimal form, so equal strings are equal versions.
if redis.call('HGET', KEYS[1], 'v') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'v', ARGV[2], 'r', ARGV[3])
  return 1
end
return 0
