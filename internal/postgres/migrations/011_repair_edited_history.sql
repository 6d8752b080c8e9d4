-- Repairs what migrations edited after they had run left behind in the
-- databases that ran their first versions (migrations are never edited
-- once shipped; these were, during development):
-- - 003 once bumped an account's version once per inserted member (the
--   trigger members_version on INSERT too), before members inserted
--   together bumped it once per statement (members_insert_version).
-- - 009 was once an index of name word pairs ("*dana dev1"), taken out
--   and its number reused: the pairs are deleted here (no word of a name
--   starts with "*"). What the second 009 does is not done again: a
--   pending member's name given by an inviter, kept since, would go.

-- +goose Up
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
DROP TRIGGER IF EXISTS members_version ON members;
CREATE TRIGGER members_version AFTER DELETE OR UPDATE OF role, status ON members
    FOR EACH ROW EXECUTE FUNCTION roster_bump_account_version();
DROP TRIGGER IF EXISTS members_insert_version ON members;
CREATE TRIGGER members_insert_version AFTER INSERT ON members REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION roster_bump_added_members();

DELETE FROM member_words WHERE left(word, 1) = '*';

-- +goose Down
-- Nothing to undo: a fresh database is as this leaves one.
