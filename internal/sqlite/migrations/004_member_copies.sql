-- members also holds copies of the user's email and name, as it does of
-- their sort keys (001), so that a page of the member list reads members
-- alone: joining users cost two b-tree seeks per row, a third of a page's
-- time. SetUserName keeps name in sync; an email never changes.
--
-- ADD COLUMN cannot be repeated; migrations on one file take turns on a
-- lock file (migrate.go), so it never is.

-- +goose Up
ALTER TABLE members ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN name TEXT NOT NULL DEFAULT '';
UPDATE members SET (email, name) = (SELECT u.email, u.name FROM users u WHERE u.id = members.user_id);

-- +goose Down
ALTER TABLE members DROP COLUMN name;
ALTER TABLE members DROP COLUMN email;
