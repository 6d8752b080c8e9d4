package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/rosterhq/roster"
)

func (t *tx) SetProfileRole(account, user, profile, role string, at time.Time) error {
	if err := t.memberExists(account, user); err != nil {
		return err
	}
	if _, err := t.exec(`INSERT INTO profiles (account_id, name, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (account_id, name) DO NOTHING`, account, profile, ts(at)); err != nil {
		return writeError("create profile", err, "", nil)
	}
	if _, err := t.exec(`WITH r AS (INSERT INTO profile_roles (account_id, user_id, profile, role, granted_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (account_id, user_id, profile) DO UPDATE SET role = excluded.role, granted_at = excluded.granted_at
			RETURNING account_id, user_id, profile, role)
		UPDATE members m SET profile_roles = m.profile_roles || jsonb_build_object(r.profile, r.role)
		FROM r WHERE m.account_id = r.account_id AND m.user_id = r.user_id`,
		account, user, profile, role, ts(at)); err != nil {
		return writeError("set profile role", err, "", errMemberNotFound)
	}
	return nil
}

func (t *tx) DeleteProfileRole(account, user, profile string) error {
	return t.execOne("delete profile role", errProfileRoleNotFound,
		`WITH r AS (DELETE FROM profile_roles WHERE account_id = $1 AND user_id = $2 AND profile = $3
			RETURNING account_id, user_id, profile)
		UPDATE members m SET profile_roles = m.profile_roles - r.profile
		FROM r WHERE m.account_id = r.account_id AND m.user_id = r.user_id`, account, user, profile)
}

func (t *tx) Profiles(account string) ([]roster.Profile, error) {
	rows, err := t.query(`SELECT p.name, p.created_at,
			(SELECT COUNT(*) FROM profile_roles r WHERE r.account_id = p.account_id AND r.profile = p.name)
		FROM profiles p WHERE p.account_id = $1 ORDER BY p.name`, account)
	if errors.Is(err, errUnstorable) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: profiles: %w", err)
	}
	defer rows.Close()
	var out []roster.Profile
	for rows.Next() {
		var p roster.Profile
		if err := rows.Scan(&p.Name, &p.CreatedAt, &p.Members); err != nil {
			return nil, fmt.Errorf("postgres: profiles: %w", err)
		}
		p.CreatedAt = utc(p.CreatedAt)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: profiles: %w", err)
	}
	return out, nil
}

func (t *tx) ProfileExists(account, profile string) (bool, error) {
	return t.exists("profile exists", `SELECT 1 FROM profiles WHERE account_id = $1 AND name = $2`, account, profile)
}
