-- members_by_role_name (account_id, role, name_key, user_id) goes: within
-- an account a role and its order in the catalog name each other, so
-- members_by_role (account_id, role_order, name_key, user_id) serves the
-- list filtered by role, in name order, and the count of active owners, as
-- well as the list sorted by role. One index fewer is one random insert
-- fewer per member: a bulk invitation into a large account writes every
-- index of members at random places.

-- +goose Up
DROP INDEX IF EXISTS members_by_role_name;

-- +goose Down
CREATE INDEX members_by_role_name ON members (account_id, role, name_key, user_id);
