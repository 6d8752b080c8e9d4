-- The hourly sweep (Tx.Sweep) deletes expired password reset links and
-- rate-limit buckets untouched for roster.AttemptsKept. Without an index on
-- their age each sweep read both tables whole: small by design, but a
-- stranger trying many emails from many addresses makes a bucket of each,
-- and a distributed guessing run could leave hundreds of thousands. The
-- price: every bucket's update changes updated_at, so it writes the index
-- too. Buckets are updated by sign-ins, resets, accepts, resends and
-- renames, each limited and most costing a password hash or an email.

-- +goose Up
CREATE INDEX IF NOT EXISTS password_resets_by_expiry ON password_resets (expires_at);
CREATE INDEX IF NOT EXISTS attempts_by_age ON attempts (updated_at);

-- +goose Down
DROP INDEX IF EXISTS password_resets_by_expiry;
DROP INDEX IF EXISTS attempts_by_age;
