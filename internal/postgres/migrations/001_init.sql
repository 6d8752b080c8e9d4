-- Roster's schema on PostgreSQL; the same tables as the SQLite store's.
--
-- Times are timestamptz (microseconds, stored in UTC); NULL means "none".
-- members.last_login_at, a sort key, says '-infinity' for "never" instead,
-- so that never-logged-in members sort first and keyset comparisons stay
-- total. Ids are text chosen by the caller.
--
-- Every text column that is compared, sorted or range-scanned is
-- COLLATE "C": keys sort by their bytes, as Go compares strings (the
-- contract of internal/storetest), whatever the database's default
-- collation, and a prefix is a plain btree range.
--
-- goose runs this file in one transaction, under the store's migration
-- lock, so instances starting together cannot interleave.

-- +goose Up
CREATE TABLE accounts (
    id         text COLLATE "C" PRIMARY KEY,
    name       text COLLATE "C" NOT NULL,
    catalog    text NOT NULL,   -- the catalog as policy.Catalog.MarshalFile writes it
    invite_ttl bigint NOT NULL, -- microseconds
    created_at timestamptz NOT NULL
);

CREATE TABLE users (
    id            text COLLATE "C" PRIMARY KEY,
    email         text NOT NULL,                   -- as first written
    email_key     text COLLATE "C" NOT NULL UNIQUE, -- roster.EmailKey(email)
    name          text NOT NULL,
    password_hash text NOT NULL DEFAULT '',
    last_login_at timestamptz,
    created_at    timestamptz NOT NULL
);

-- members holds copies of the user's sort keys (name_key, email_key,
-- last_login_at) so that every order of the member list is one index range;
-- SetUserName and SetLastLogin keep them in sync.
CREATE TABLE members (
    account_id    text COLLATE "C" NOT NULL REFERENCES accounts (id),
    user_id       text COLLATE "C" NOT NULL REFERENCES users (id),
    role          text COLLATE "C" NOT NULL,
    role_order    integer NOT NULL,
    status        text COLLATE "C" NOT NULL CHECK (status IN ('pending', 'active', 'disabled')),
    invited_at    timestamptz,
    invited_by    text NOT NULL DEFAULT '',
    joined_at     timestamptz,
    name_key      text COLLATE "C" NOT NULL,
    email_key     text COLLATE "C" NOT NULL,
    last_login_at timestamptz NOT NULL DEFAULT '-infinity',
    PRIMARY KEY (account_id, user_id)
);

-- One index per order of the member list, each ending in user_id, the final
-- tie-breaker, so that keyset pages are a single range scan.
CREATE INDEX members_by_name ON members (account_id, name_key, user_id);
CREATE INDEX members_by_email ON members (account_id, email_key, user_id);
CREATE INDEX members_by_role ON members (account_id, role_order, name_key, user_id);
CREATE INDEX members_by_status ON members (account_id, status, name_key, user_id);
CREATE INDEX members_by_last_login ON members (account_id, last_login_at, name_key, user_id);
-- The list filtered by role, in name order; and CountMembers, which counts
-- the owners on every change that could lose the last one.
CREATE INDEX members_by_role_name ON members (account_id, role, name_key, user_id);
CREATE INDEX members_by_user ON members (user_id);

-- The lowercase words of each member's name (roster.SearchWords), so that a
-- search word is a prefix range on (account_id, word).
CREATE TABLE member_words (
    account_id text COLLATE "C" NOT NULL,
    word       text COLLATE "C" NOT NULL,
    user_id    text COLLATE "C" NOT NULL,
    PRIMARY KEY (account_id, word, user_id),
    FOREIGN KEY (account_id, user_id) REFERENCES members (account_id, user_id) ON DELETE CASCADE
);
-- Serves the cascade from members and the rewrite on a name change.
CREATE INDEX member_words_by_member ON member_words (user_id, account_id);

CREATE TABLE invitations (
    account_id text COLLATE "C" NOT NULL,
    user_id    text COLLATE "C" NOT NULL,
    token_hash text COLLATE "C" NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    sent_at    timestamptz NOT NULL,
    last_error text NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, user_id),
    FOREIGN KEY (account_id, user_id) REFERENCES members (account_id, user_id) ON DELETE CASCADE
);

CREATE TABLE profiles (
    account_id text COLLATE "C" NOT NULL REFERENCES accounts (id),
    name       text COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE profile_roles (
    account_id text COLLATE "C" NOT NULL,
    user_id    text COLLATE "C" NOT NULL,
    profile    text COLLATE "C" NOT NULL,
    role       text NOT NULL,
    granted_at timestamptz NOT NULL,
    PRIMARY KEY (account_id, user_id, profile),
    FOREIGN KEY (account_id, user_id) REFERENCES members (account_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, profile) REFERENCES profiles (account_id, name)
);
CREATE INDEX profile_roles_by_profile ON profile_roles (account_id, profile);

CREATE TABLE sessions (
    id           text COLLATE "C" PRIMARY KEY,
    user_id      text COLLATE "C" NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           text COLLATE "C" PRIMARY KEY,
    user_id      text COLLATE "C" NOT NULL REFERENCES users (id),
    account_id   text COLLATE "C" NOT NULL REFERENCES accounts (id),
    name         text NOT NULL,
    hash         text COLLATE "C" NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id, created_at);

CREATE TABLE password_resets (
    hash       text COLLATE "C" PRIMARY KEY,
    user_id    text COLLATE "C" NOT NULL REFERENCES users (id),
    expires_at timestamptz NOT NULL
);
CREATE INDEX password_resets_by_user ON password_resets (user_id);

-- Audit events are never updated or deleted, and point at users and accounts
-- by id without foreign keys: they outlive the memberships they describe.
-- before and after are json, not jsonb: json keeps any text Go's encoder
-- writes (jsonb refuses \u0000).
CREATE TABLE audit_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL,
    at         timestamptz NOT NULL,
    actor      text NOT NULL DEFAULT '',
    action     text NOT NULL,
    target     text NOT NULL DEFAULT '',
    before     json,
    after      json,
    ip         text NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_by_account ON audit_events (account_id, id);

-- The transactional outbox. claimed_until is the end of a sender's lease
-- (NULL: not claimed).
CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL,
    recipient       text NOT NULL,
    account_id      text COLLATE "C" NOT NULL DEFAULT '',
    user_id         text COLLATE "C" NOT NULL DEFAULT '',
    data            json,
    link            text NOT NULL DEFAULT '',
    status          text COLLATE "C" NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    claimed_until   timestamptz,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz
);
-- The claimers' queue: pending messages only, so it stays small however
-- many sent ones the table keeps.
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_by_status ON outbox (status, id);

-- Rate limit buckets of login, password reset and invitation accept, shared
-- by every instance on the database. The key is a digest: no email or
-- address is kept here.
CREATE TABLE attempts (
    key        text COLLATE "C" PRIMARY KEY,
    tokens     double precision NOT NULL,
    updated_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE attempts;
DROP TABLE outbox;
DROP TABLE audit_events;
DROP TABLE password_resets;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE profile_roles;
DROP TABLE profiles;
DROP TABLE invitations;
DROP TABLE member_words;
DROP TABLE members;
DROP TABLE users;
DROP TABLE accounts;
