-- Roster's schema on SQLite.
--
-- Times are INTEGER unix microseconds in UTC; 0 means "none" (for
-- last_login_at: never). Ids are TEXT chosen by the caller. Every statement
-- says IF NOT EXISTS so that two processes migrating one file at the same
-- moment cannot fail on each other's work.

-- +goose Up
CREATE TABLE IF NOT EXISTS accounts (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    catalog    TEXT NOT NULL,    -- the catalog as policy.Catalog.MarshalFile writes it
    invite_ttl INTEGER NOT NULL, -- microseconds
    created_at INTEGER NOT NULL,
    -- version increases with every change the check path caches: a
    -- member's role or status, who is a member, profiles and profile
    -- roles.
    -- The triggers below keep it, so that no write can forget to.
    version    INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE IF NOT EXISTS users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,        -- as first written
    email_key     TEXT NOT NULL UNIQUE, -- roster.EmailKey(email)
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL DEFAULT '',
    last_login_at INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

-- members holds copies of the user's sort keys (name_key, email_key,
-- last_login_at) so that every order of the member list is one index range;
-- SetUserName and SetLastLogin keep them in sync.
CREATE TABLE IF NOT EXISTS members (
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    user_id       TEXT NOT NULL REFERENCES users (id),
    role          TEXT NOT NULL,
    role_order    INTEGER NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'active', 'disabled')),
    invited_at    INTEGER NOT NULL DEFAULT 0,
    invited_by    TEXT NOT NULL DEFAULT '',
    joined_at     INTEGER NOT NULL DEFAULT 0,
    name_key      TEXT NOT NULL,
    email_key     TEXT NOT NULL,
    last_login_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, user_id)
);

-- One index per order of the member list, each ending in user_id, the final
-- tie-breaker, so that keyset pages are a single range scan.
CREATE INDEX IF NOT EXISTS members_by_name ON members (account_id, name_key, user_id);
CREATE INDEX IF NOT EXISTS members_by_email ON members (account_id, email_key, user_id);
CREATE INDEX IF NOT EXISTS members_by_role ON members (account_id, role_order, name_key, user_id);
CREATE INDEX IF NOT EXISTS members_by_status ON members (account_id, status, name_key, user_id);
CREATE INDEX IF NOT EXISTS members_by_last_login ON members (account_id, last_login_at, name_key, user_id);
-- The list filtered by role, in name order; and CountMembers, which counts
-- the owners on every change that could lose the last one.
CREATE INDEX IF NOT EXISTS members_by_role_name ON members (account_id, role, name_key, user_id);
CREATE INDEX IF NOT EXISTS members_by_user ON members (user_id);

-- The lowercase words of each member's name (roster.SearchWords), so that a
-- search word is a prefix range on (account_id, word).
CREATE TABLE IF NOT EXISTS member_words (
    account_id TEXT NOT NULL,
    word       TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    PRIMARY KEY (account_id, word, user_id),
    FOREIGN KEY (account_id, user_id) REFERENCES members (account_id, user_id) ON DELETE CASCADE
) WITHOUT ROWID;
-- Serves the cascade from members and the rewrite on a name change. It
-- starts with user_id so that it never competes with the primary key for a
-- search, which must be a range on (account_id, word).
CREATE INDEX IF NOT EXISTS member_words_by_member ON member_words (user_id, account_id);

CREATE TABLE IF NOT EXISTS invitations (
    account_id TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at INTEGER NOT NULL,
    sent_at    INTEGER NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, user_id),
    FOREIGN KEY (account_id, user_id) REFERENCES members (account_id, user_id) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS profiles (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE IF NOT EXISTS profile_roles (
    account_id TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    profile    TEXT NOT NULL,
    role       TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, user_id, profile),
    FOREIGN KEY (account_id, user_id) REFERENCES members (account_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, profile) REFERENCES profiles (account_id, name)
);
CREATE INDEX IF NOT EXISTS profile_roles_by_profile ON profile_roles (account_id, profile);

CREATE TABLE IF NOT EXISTS sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_id);

CREATE TABLE IF NOT EXISTS api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    name         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL DEFAULT 0,
    last_used_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS api_tokens_by_user ON api_tokens (user_id, created_at);

CREATE TABLE IF NOT EXISTS password_resets (
    hash       TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS password_resets_by_user ON password_resets (user_id);

-- Audit events are never updated or deleted, and point at users and accounts
-- by id without foreign keys: they outlive the memberships they describe.
CREATE TABLE IF NOT EXISTS audit_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL,
    target     TEXT NOT NULL DEFAULT '',
    before     TEXT, -- JSON object or NULL
    after      TEXT, -- JSON object or NULL
    ip         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_events_by_account ON audit_events (account_id, id);

-- The transactional outbox. claimed_until is the end of a sender's lease.
CREATE TABLE IF NOT EXISTS outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    account_id      TEXT NOT NULL DEFAULT '',
    user_id         TEXT NOT NULL DEFAULT '',
    data            TEXT,          -- JSON object or NULL
    link            TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);

-- Rate limit buckets of login, password reset and invitation accept, shared
-- by every process on the database. The key is a digest: no email or
-- address is kept here.
CREATE TABLE IF NOT EXISTS attempts (
    key        TEXT PRIMARY KEY,
    tokens     REAL NOT NULL,
    updated_at INTEGER NOT NULL
);

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS members_insert_version AFTER INSERT ON members BEGIN
    UPDATE accounts SET version = version + 1 WHERE id = NEW.account_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS members_update_version AFTER UPDATE OF role, status ON members BEGIN
    UPDATE accounts SET version = version + 1 WHERE id = NEW.account_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS members_delete_version AFTER DELETE ON members BEGIN
    UPDATE accounts SET version = version + 1 WHERE id = OLD.account_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS profiles_insert_version AFTER INSERT ON profiles BEGIN
    UPDATE accounts SET version = version + 1 WHERE id = NEW.account_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS profile_roles_insert_version AFTER INSERT ON profile_roles BEGIN
    UPDATE accounts SET version = version + 1 WHERE id = NEW.account_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS profile_roles_update_version AFTER UPDATE ON profile_roles BEGIN
    UPDATE accounts SET version = version + 1 WHERE id = NEW.account_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS profile_roles_delete_version AFTER DELETE ON profile_roles BEGIN
    UPDATE accounts SET version = version + 1 WHERE id = OLD.account_id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE IF EXISTS attempts;
DROP TABLE IF EXISTS outbox;
DROP TABLE IF EXISTS audit_events;
DROP TABLE IF EXISTS password_resets;
DROP TABLE IF EXISTS api_tokens;
DROP TABLE IF EXISTS sessions;
DROP TABLE IF EXISTS profile_roles;
DROP TABLE IF EXISTS profiles;
DROP TABLE IF EXISTS invitations;
DROP TABLE IF EXISTS member_words;
DROP TABLE IF EXISTS members;
DROP TABLE IF EXISTS users;
DROP TABLE IF EXISTS accounts;
