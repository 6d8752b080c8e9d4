-- Account versions move out of the accounts row, and increase once per
-- transaction.
--
-- The trigger of 002 updated the accounts row, catalog and all, once per
-- changed row: a bulk invitation of 10,000 members made 10,000 versions of
-- one row in one transaction, each found by walking the chain of the ones
-- before it. A reader sees all of a transaction's changes or none, so one
-- increase per transaction is as good as one per row: account_versions
-- remembers which transaction last increased it (bumped_by), and later
-- changes in that transaction leave it alone.

-- +goose Up
CREATE TABLE account_versions (
    account_id text PRIMARY KEY REFERENCES accounts (id),
    version    bigint NOT NULL,
    bumped_by  xid8
);
INSERT INTO account_versions (account_id, version) SELECT id, version FROM accounts;

-- +goose StatementBegin
CREATE FUNCTION roster_add_account_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_versions (account_id, version) VALUES (NEW.id, 1);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION roster_bump_account_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    account text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        account := OLD.account_id;
    ELSE
        account := NEW.account_id;
    END IF;
    UPDATE account_versions SET version = version + 1, bumped_by = pg_current_xact_id()
    WHERE account_id = account AND bumped_by IS DISTINCT FROM pg_current_xact_id();
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Members inserted together (a bulk invitation) bump once per statement,
-- not once per row.
-- +goose StatementBegin
CREATE FUNCTION roster_bump_added_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE account_versions SET version = version + 1, bumped_by = pg_current_xact_id()
    WHERE account_id IN (SELECT DISTINCT account_id FROM added)
        AND bumped_by IS DISTINCT FROM pg_current_xact_id();
    RETURN NULL;
END
$$;
-- +goose StatementEnd

DROP TRIGGER members_version ON members;
CREATE TRIGGER members_version AFTER DELETE OR UPDATE OF role, status ON members
    FOR EACH ROW EXECUTE FUNCTION roster_bump_account_version();
CREATE TRIGGER members_insert_version AFTER INSERT ON members REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION roster_bump_added_members();

CREATE TRIGGER accounts_version AFTER INSERT ON accounts
    FOR EACH ROW EXECUTE FUNCTION roster_add_account_version();
ALTER TABLE accounts DROP COLUMN version;

-- +goose Down
ALTER TABLE accounts ADD COLUMN version bigint NOT NULL DEFAULT 1;
UPDATE accounts a SET version = v.version FROM account_versions v WHERE v.account_id = a.id;
DROP TRIGGER accounts_version ON accounts;
DROP FUNCTION roster_add_account_version();
DROP TRIGGER members_insert_version ON members;
DROP FUNCTION roster_bump_added_members();
DROP TRIGGER members_version ON members;
CREATE TRIGGER members_version AFTER INSERT OR DELETE OR UPDATE OF role, status ON members
    FOR EACH ROW EXECUTE FUNCTION roster_bump_account_version();
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION roster_bump_account_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE accounts SET version = version + 1 WHERE id = OLD.account_id;
    ELSE
        UPDATE accounts SET version = version + 1 WHERE id = NEW.account_id;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
DROP TABLE account_versions;
