-- The hourly sweep (Tx.Sweep) deletes expired sessions and the sent and
-- failed emails older than roster.MessagesKept. Without an index on when
-- they expire or were made, each sweep read every session and every sent
-- email (with the 100,000 invitations of a large account, the whole
-- outbox every hour). Only what the sweep deletes is read now. The
-- outbox's index holds only the messages that are done, so a bulk of
-- pending invitations writes nothing more.

-- +goose Up
CREATE INDEX IF NOT EXISTS outbox_done ON outbox (created_at) WHERE status IN ('sent', 'failed');
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions (expires_at);

-- +goose Down
DROP INDEX IF EXISTS outbox_done;
DROP INDEX IF EXISTS sessions_by_expiry;
