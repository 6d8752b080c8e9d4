-- Repairs what migrations edited after they had run left behind in the
-- databases that ran their first versions (migrations are never edited
-- once shipped; these were, during development):
-- - 001 once made triggers that bumped accounts.version on every token
--   change; a fresh database has none.
-- - 006 was once an index of name word pairs ("*dana dev1"), taken out
--   and its number reused: the pairs are deleted here (no word of a name
--   starts with "*"). What the second 006 does is not done again: a
--   pending member's name given by an inviter, kept since, would go.

-- +goose Up
DROP TRIGGER IF EXISTS api_tokens_insert_version;
DROP TRIGGER IF EXISTS api_tokens_delete_version;
DELETE FROM member_words WHERE substr(word, 1, 1) = '*';

-- +goose Down
-- Nothing to undo: a fresh database is as this leaves one.
