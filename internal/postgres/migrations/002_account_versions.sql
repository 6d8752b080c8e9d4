-- Account versions for the check path's cache.
--
-- accounts.version increases in the same transaction as every change the
-- check path caches: a member's role or status, members joining or
-- leaving, profiles and profile roles. (API tokens are not cached: the
-- token is read with the version, in one statement.) Triggers keep it, so
-- that no write can forget to; a request compares the version with the
-- one its cached answers were read at.

-- +goose Up
ALTER TABLE accounts ADD COLUMN version bigint NOT NULL DEFAULT 1;

-- +goose StatementBegin
CREATE FUNCTION roster_bump_account_version() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER members_version AFTER INSERT OR DELETE OR UPDATE OF role, status ON members
    FOR EACH ROW EXECUTE FUNCTION roster_bump_account_version();
CREATE TRIGGER profiles_version AFTER INSERT ON profiles
    FOR EACH ROW EXECUTE FUNCTION roster_bump_account_version();
CREATE TRIGGER profile_roles_version AFTER INSERT OR UPDATE OR DELETE ON profile_roles
    FOR EACH ROW EXECUTE FUNCTION roster_bump_account_version();

-- +goose Down
DROP TRIGGER profile_roles_version ON profile_roles;
DROP TRIGGER profiles_version ON profiles;
DROP TRIGGER members_version ON members;
DROP FUNCTION roster_bump_account_version();
ALTER TABLE accounts DROP COLUMN version;
