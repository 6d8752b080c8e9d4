-- Account versions move out of the accounts row into a narrow table.
--
-- The triggers bump an account's version on every change the check path
-- caches (see 001). On accounts they rewrote the whole row, catalog
-- included (kilobytes, on overflow pages), once per inserted member: most
-- of what a bulk invitation wrote. account_versions holds one small row
-- per account.
--
-- accounts.version stays, unused: dropping a column cannot be repeated, and
-- every statement here must be, for processes migrating one file at once
-- (see 001).

-- +goose Up
CREATE TABLE IF NOT EXISTS account_versions (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    version    INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO account_versions (account_id, version) SELECT id, version FROM accounts;

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS accounts_insert_version AFTER INSERT ON accounts BEGIN
    INSERT INTO account_versions (account_id, version) VALUES (NEW.id, 1);
END;
-- +goose StatementEnd

DROP TRIGGER IF EXISTS members_insert_version;
DROP TRIGGER IF EXISTS members_update_version;
DROP TRIGGER IF EXISTS members_delete_version;
DROP TRIGGER IF EXISTS profiles_insert_version;
DROP TRIGGER IF EXISTS profile_roles_insert_version;
DROP TRIGGER IF EXISTS profile_roles_update_version;
DROP TRIGGER IF EXISTS profile_roles_delete_version;

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS members_insert_bump AFTER INSERT ON members BEGIN
    UPDATE account_versions SET version = version + 1 WHERE account_id = NEW.account_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS members_update_bump AFTER UPDATE OF role, status ON members BEGIN
    UPDATE account_versions SET version = version + 1 WHERE account_id = NEW.account_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS members_delete_bump AFTER DELETE ON members BEGIN
    UPDATE account_versions SET version = version + 1 WHERE account_id = OLD.account_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS profiles_insert_bump AFTER INSERT ON profiles BEGIN
    UPDATE account_versions SET version = version + 1 WHERE account_id = NEW.account_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS profile_roles_insert_bump AFTER INSERT ON profile_roles BEGIN
    UPDATE account_versions SET version = version + 1 WHERE account_id = NEW.account_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS profile_roles_update_bump AFTER UPDATE ON profile_roles BEGIN
    UPDATE account_versions SET version = version + 1 WHERE account_id = NEW.account_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS profile_roles_delete_bump AFTER DELETE ON profile_roles BEGIN
    UPDATE account_versions SET version = version + 1 WHERE account_id = OLD.account_id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER IF EXISTS profile_roles_delete_bump;
DROP TRIGGER IF EXISTS profile_roles_update_bump;
DROP TRIGGER IF EXISTS profile_roles_insert_bump;
DROP TRIGGER IF EXISTS profiles_insert_bump;
DROP TRIGGER IF EXISTS members_delete_bump;
DROP TRIGGER IF EXISTS members_update_bump;
DROP TRIGGER IF EXISTS members_insert_bump;
DROP TRIGGER IF EXISTS accounts_insert_version;
UPDATE accounts SET version = (SELECT version FROM account_versions WHERE account_id = accounts.id);
DROP TABLE IF EXISTS account_versions;
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
