-- A pending member shows only what the inviting account gave (DECISIONS
-- 45): no last login, and no name of a person who has set their own (has
-- a password, having joined elsewhere). Before, a membership copied the
-- user's name and last login whatever its status. The name of a person
-- who has not registered was given by an inviter, so it stays.

-- +goose Up
UPDATE members SET last_login_at = '-infinity' WHERE status = 'pending' AND last_login_at <> '-infinity';
DELETE FROM member_words w USING members m, users u
WHERE m.account_id = w.account_id AND m.user_id = w.user_id AND u.id = m.user_id
  AND m.status = 'pending' AND u.password_hash <> '';
UPDATE members m SET name = '', name_key = '' FROM users u
WHERE u.id = m.user_id AND m.status = 'pending' AND u.password_hash <> '';

-- +goose Down
-- Nothing to undo: the rows hold what the code before this one would show
-- once the person joins (it copied the user again then).
