package postgres

import (
	"fmt"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/policy"
)

func (t *tx) CreateAccount(a *roster.Account) error {
	if a.Catalog == nil {
		return fmt.Errorf("postgres: create account %s: no catalog", a.ID)
	}
	text, err := a.Catalog.MarshalFile()
	if err != nil {
		return fmt.Errorf("postgres: create account %s: %w", a.ID, err)
	}
	return t.insert("create account", "An account with this id already exists.", nil, "", nil,
		`INSERT INTO accounts (id, name, catalog, invite_ttl, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING`,
		a.ID, a.Name, string(text), a.InviteTTL.Microseconds(), ts(a.CreatedAt))
}

func (t *tx) Account(id string) (*roster.Account, error) {
	a := &roster.Account{ID: id}
	var text string
	var ttl int64
	err := t.queryRow(`SELECT name, catalog, invite_ttl, created_at FROM accounts WHERE id = $1`, id).
		Scan(&a.Name, &text, &ttl, &a.CreatedAt)
	if err := rowError("account", err, errAccountNotFound); err != nil {
		return nil, err
	}
	a.InviteTTL = time.Duration(ttl) * time.Microsecond
	a.CreatedAt = utc(a.CreatedAt)
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
		return nil, fmt.Errorf("postgres: catalog of account %s: %w", account, err)
	}
	s.mu.Lock()
	s.catalogs[account] = cachedCatalog{text: text, catalog: cat}
	s.mu.Unlock()
	return cat, nil
}

func (t *tx) UpdateAccount(a *roster.Account) error {
	if err := checkValues(a.Name); err != nil {
		return err
	}
	return t.execOne("update account", errAccountNotFound,
		`UPDATE accounts SET name = $1, invite_ttl = $2 WHERE id = $3`, a.Name, a.InviteTTL.Microseconds(), a.ID)
}

// firstRunLockID is the key of the transaction-level advisory lock of
// LockFirstRun, next to migrationLockID's.
const firstRunLockID = migrationLockID + 1

func (t *tx) LockFirstRun() error {
	if _, err := t.exec(`SELECT pg_advisory_xact_lock($1)`, int64(firstRunLockID)); err != nil {
		return fmt.Errorf("postgres: lock first run: %w", err)
	}
	return nil
}

func (t *tx) CountAccounts() (int, error) {
	var n int
	if err := t.queryRow(`SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count accounts: %w", err)
	}
	return n, nil
}
