-- A pending member shows only what the inviting account gave (DECISIONS
-- 45): no last login, and no name of a person who has set their own (has
-- a password, having joined elsewhere). Before, a membership copied the
-- user's name and last login whatever its status. The name of a person
-- who has not registered was given by an inviter, so it stays.

-- +goose Up
UPDATE members SET last_login_at = 0 WHERE status = 'pending';
DELETE FROM member_words WHERE EXISTS (
    SELECT 1 FROM members m JOIN users u ON u.id = m.user_id
    WHERE m.account_id = member_words.account_id AND m.user_id = member_words.user_id
      AND m.status = 'pending' AND u.password_hash <> '');
UPDATE members SET name = '', name_key = ''
WHERE status = 'pending' AND user_id IN (SELECT id FROM users WHERE password_hash <> '');

-- +goose Down
-- Nothing to undo: the rows hold what the code before this one would show
-- once the person joins (it copied the user again then).
