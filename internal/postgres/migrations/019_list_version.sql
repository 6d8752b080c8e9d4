-- account_versions.list_version moves with every change that can make a
-- search's kept plan miss a member: a member added, or a member's name
-- changed (a new word, a new lead). An instance keeps the plan of each
-- search it ran with the list version it was planned at, and while the
-- list version is the same runs the search's page without planning it
-- again (DECISIONS 90). Nothing else can: a plan names the ranges of words,
-- leads and emails where the search's matches are, and a member removed,
-- or one whose role or status changed (plans do not depend on filters),
-- leaves every match in them. So the list version moves less often than
-- the version, which stays what the check path caches by: a rename does
-- not empty the checks' cache.
--
-- Neither bump waits for the version's once-per-transaction bookkeeping
-- (bumped_by), which would skip members added after a role change in the
-- same transaction: members added bump once per statement, a bulk's COPY
-- included, and a rename once per renamed membership, whose account the
-- rename has locked already (App.SetMyName locks them all, in order). An
-- old binary ignores the column, and the triggers keep it for it. A later
-- migration that rewrites member_words or names must move it too, and so
-- must a restore of a backup taken before a change: stop every instance
-- first (docs/DEPLOYMENT.md), as the checks' caches need.

-- +goose Up
-- The members' trigger first, then account_versions, which every check
-- reads, locked last. While the migration waits for a lock, what needs the
-- table after it waits too (checks, for account_versions): a lock not had
-- within 0.5 s fails the migration, which migrate runs again a second
-- later, up to 20 times.
SET LOCAL lock_timeout = '500ms';

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION roster_bump_list_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE account_versions SET list_version = list_version + 1 WHERE account_id = NEW.account_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

DROP TRIGGER IF EXISTS members_list_version ON members;
CREATE TRIGGER members_list_version AFTER UPDATE OF name_key ON members
    FOR EACH ROW WHEN (OLD.name_key IS DISTINCT FROM NEW.name_key) EXECUTE FUNCTION roster_bump_list_version();

ALTER TABLE account_versions ADD COLUMN IF NOT EXISTS list_version bigint NOT NULL DEFAULT 0;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION roster_bump_added_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE account_versions SET
        version = CASE WHEN bumped_by IS DISTINCT FROM pg_current_xact_id() THEN version + 1 ELSE version END,
        list_version = list_version + 1,
        bumped_by = pg_current_xact_id()
    WHERE account_id IN (SELECT DISTINCT account_id FROM added);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER IF EXISTS members_list_version ON members;
DROP FUNCTION IF EXISTS roster_bump_list_version();

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION roster_bump_added_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE account_versions SET version = version + 1, bumped_by = pg_current_xact_id()
    WHERE account_id IN (SELECT DISTINCT account_id FROM added)
        AND bumped_by IS DISTINCT FROM pg_current_xact_id();
    RETURN NULL;
END
$$;
-- +goose StatementEnd

ALTER TABLE account_versions DROP COLUMN IF EXISTS list_version;
