-- mfa-redis: insert an account record if the account has none.
-- KEYS[1]  the account's key
-- ARGV[1]  the record's version, decimal
-- ARGV[2]  the sealed record
-- Returns 1 when written, 0 when the key already exists (nothing written).
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'r', ARGV[2])
return 1
