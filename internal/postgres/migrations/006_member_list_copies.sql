-- members also holds copies of what else a page of the member list shows:
-- the pending invitation's expiry and delivery error, and the member's
-- profile roles (a JSON object of profile to role). A page then reads
-- members alone, one index range; the probes of invitations and the
-- statement for profile_roles cost more than the page itself (about
-- 2 µs a row each at 100k members). Every read of a member uses the copy,
-- the check engine's included (it loads members with Member), so the
-- copy decides access as the table did. Every single write of invitations
-- or profile_roles writes the copy in the same statement (PutInvitation,
-- DeleteInvitation, the mail worker's error, SetProfileRole,
-- DeleteProfileRole); AddInvitees writes it with the member. The tables
-- stay for what reads them by themselves: invitation tokens, profile
-- counts. TestStore checks the copies after every contract test.

-- +goose Up
ALTER TABLE members ADD COLUMN invitation_expires_at timestamptz,
    ADD COLUMN invitation_error text,
    ADD COLUMN profile_roles jsonb NOT NULL DEFAULT '{}';
UPDATE members m SET invitation_expires_at = i.expires_at, invitation_error = i.last_error
FROM invitations i WHERE i.account_id = m.account_id AND i.user_id = m.user_id;
UPDATE members m SET profile_roles = p.roles
FROM (SELECT account_id, user_id, jsonb_object_agg(profile, role) AS roles FROM profile_roles GROUP BY account_id, user_id) p
WHERE p.account_id = m.account_id AND p.user_id = m.user_id;

-- +goose Down
ALTER TABLE members DROP COLUMN invitation_expires_at, DROP COLUMN invitation_error, DROP COLUMN profile_roles;
