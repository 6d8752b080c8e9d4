package sqlite

import (
	"fmt"
	"time"

	"github.com/rosterhq/roster"
)

func (t *tx) SetProfileRole(account, user, profile, role string, at time.Time) error {
	if err := t.memberExists(account, user); err != nil {
		return err
	}
	if _, err := t.exec(`INSERT INTO profiles (account_id, name, created_at) VALUES (?, ?, ?)
		ON CONFLICT (account_id, name) DO NOTHING`, account, profile, micros(at)); err != nil {
		return fmt.Errorf("sqlite: create profile: %w", err)
	}
	if _, err := t.exec(`INSERT INTO profile_roles (account_id, user_id, profile, role, granted_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (account_id, user_id, profile) DO UPDATE SET role = excluded.role, granted_at = excluded.granted_at`,
		account, user, profile, role, micros(at)); err != nil {
		return fmt.Errorf("sqlite: set profile role: %w", err)
	}
	return nil
}

func (t *tx) DeleteProfileRole(account, user, profile string) error {
	return t.execOne("delete profile role", errProfileRoleNotFound,
		`DELETE FROM profile_roles WHERE account_id = ? AND user_id = ? AND profile = ?`, account, user, profile)
}

func (t *tx) Profiles(account string) ([]roster.Profile, error) {
	rows, err := t.query(`SELECT p.name, p.created_at,
			(SELECT COUNT(*) FROM profile_roles r WHERE r.account_id = p.account_id AND r.profile = p.name)
		FROM profiles p WHERE p.account_id = ? ORDER BY p.name`, account)
	if err != nil {
		return nil, fmt.Errorf("sqlite: profiles: %w", err)
	}
	defer rows.Close()
	var out []roster.Profile
	for rows.Next() {
		var p roster.Profile
		var created int64
		if err := rows.Scan(&p.Name, &created, &p.Members); err != nil {
			return nil, fmt.Errorf("sqlite: profiles: %w", err)
		}
		p.CreatedAt = fromMicros(created)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: profiles: %w", err)
	}
	return out, nil
}

func (t *tx) ProfileExists(account, profile string) (bool, error) {
	var n int
	if err := t.queryRow(`SELECT COUNT(*) FROM profiles WHERE account_id = ? AND name = ?`, account, profile).Scan(&n); err != nil {
		return false, fmt.Errorf("sqlite: profile exists: %w", err)
	}
	return n > 0, nil
}
