-- Repairs what migrations edited after they had run left behind in the
-- databases that ran their first versions (migrations are never edited
-- once shipped; these were, during development):
-- - 001 once made triggers that bumped accounts.version on every token
--   change; a fresh database has none.
-- - 006 was once an index of name word pairs ("*dana dev1"), taken out,
--   and its number reused for the pending members' copies, which a
--   database that ran the first 006 never got. Both are done here: the
--   pairs deleted (no word of a name starts with "*"), the copies cleared
--   as 006 does, which changes nothing where 006 ran.

-- +goose Up
DROP TRIGGER IF EXISTS api_tokens_insert_version;
DROP TRIGGER IF EXISTS api_tokens_delete_version;
DELETE FROM member_words WHERE substr(word, 1, 1) = '*';
UPDATE members SET last_login_at = 0 WHERE status = 'pending' AND last_login_at <> 0;
DELETE FROM member_words WHERE EXISTS (
    SELECT 1 FROM members m JOIN users u ON u.id = m.user_id
    WHERE m.account_id = member_words.account_id AND m.user_id = member_words.user_id
      AND m.status = 'pending' AND u.password_hash <> '');
UPDATE members SET name = '', name_key = ''
WHERE status = 'pending' AND name <> '' AND user_id IN (SELECT id FROM users WHERE password_hash <> '');

-- +goose Down
-- Nothing to undo: a fresh database is as this leaves one.
