package sqlite

import (
	"fmt"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/policy"
)

func (t *tx) CreateAccount(a *roster.Account) error {
	if a.Catalog == nil {
		return fmt.Errorf("sqlite: create account %s: no catalog", a.ID)
	}
	text, err := a.Catalog.MarshalFile()
	if err != nil {
		return fmt.Errorf("sqlite: create account %s: %w", a.ID, err)
	}
	_, err = t.exec(`INSERT INTO accounts (id, name, catalog, invite_ttl, created_at) VALUES (?, ?, ?, ?, ?)`,
		a.ID, a.Name, string(text), a.InviteTTL.Microseconds(), micros(a.CreatedAt))
	return insertError("create account", err, "An account with this id already exists.", nil)
}

func (t *tx) Account(id string) (*roster.Account, error) {
	a := &roster.Account{ID: id}
	var text string
	var ttl, created int64
	err := t.queryRow(`SELECT name, catalog, invite_ttl, created_at FROM accounts WHERE id = ?`, id).
		Scan(&a.Name, &text, &ttl, &created)
	if err := rowError("account", err, errAccountNotFound); err != nil {
		return nil, err
	}
	a.InviteTTL = time.Duration(ttl) * time.Microsecond
	a.CreatedAt = fromMicros(created)
	a.Catalog, err = t.store.catalog(id, text)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// catalog parses an account's stored catalog, or returns the copy parsed
// before from the same text.
func (s *Store) catalog(account, text string) (*policy.Catalog, error) {
	s.mu.Lock()
	c, ok := s.catalogs[account]
	s.mu.Unlock()
	if ok && c.text == text {
		return c.catalog, nil
	}
	cat, err := policy.Parse("account "+account, []byte(text))
	if err != nil {
		return nil, fmt.Errorf("sqlite: catalog of account %s: %w", account, err)
	}
	s.mu.Lock()
	s.catalogs[account] = cachedCatalog{text: text, catalog: cat}
	s.mu.Unlock()
	return cat, nil
}

func (t *tx) UpdateAccount(a *roster.Account) error {
	return t.execOne("update account", errAccountNotFound,
		`UPDATE accounts SET name = ?, invite_ttl = ? WHERE id = ?`, a.Name, a.InviteTTL.Microseconds(), a.ID)
}

// LockFirstRun has nothing to take: a Write holds the database's only
// write lock.
func (t *tx) LockFirstRun() error { return nil }

func (t *tx) CountAccounts() (int, error) {
	var n int
	if err := t.queryRow(`SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count accounts: %w", err)
	}
	return n, nil
}
