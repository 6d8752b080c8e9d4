-- members also holds copies of the user's email and name, as it does of
-- their sort keys (001), so that a page of the member list reads members
-- alone: joining users cost two index probes per row, about half of a
-- page's time. SetUserName keeps name in sync; an email never changes.

-- +goose Up
ALTER TABLE members ADD COLUMN email text NOT NULL DEFAULT '', ADD COLUMN name text NOT NULL DEFAULT '';
UPDATE members m SET email = u.email, name = u.name FROM users u WHERE u.id = m.user_id;
ALTER TABLE members ALTER COLUMN email DROP DEFAULT, ALTER COLUMN name DROP DEFAULT;

-- +goose Down
ALTER TABLE members DROP COLUMN email, DROP COLUMN name;
