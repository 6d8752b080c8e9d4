package postgres

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TakeAttempt refills and takes from the bucket with the SQLite store's
// arithmetic, on the bucket's row locked FOR UPDATE, so that instances
// taking from one bucket at the same moment each see the other's take.
func (t *tx) TakeAttempt(key string, burst int, per time.Duration, now time.Time) (bool, time.Duration, error) {
	now = ts(now)
	tokens := float64(burst)
	var have float64
	var at time.Time
	found := true
	err := t.queryRow(`SELECT tokens, updated_at FROM attempts WHERE key = $1 FOR UPDATE`, key).Scan(&have, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		// A first take. Another transaction may be creating the same
		// bucket: the insert then waits for it and inserts nothing, and the
		// row is read again, locked.
		var tag pgconn.CommandTag
		tag, err = t.exec(`INSERT INTO attempts (key, tokens, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO NOTHING`, key, tokens, now)
		switch {
		case err != nil:
		case tag.RowsAffected() == 0:
			err = t.queryRow(`SELECT tokens, updated_at FROM attempts WHERE key = $1 FOR UPDATE`, key).Scan(&have, &at)
		default:
			found = false
		}
	}
	if err != nil {
		return false, 0, writeError("take attempt", err, "", nil)
	}
	if found {
		// The bucket's time never goes back: instances whose clocks
		// differ would otherwise refill it by the difference at each turn.
		if at.After(now) {
			now = at
		}
		tokens = math.Min(float64(burst), have+float64(now.Sub(at))/float64(per))
	}
	ok := tokens >= 1
	if ok {
		tokens--
	}
	if _, err := t.exec(`UPDATE attempts SET tokens = $2, updated_at = $3 WHERE key = $1`, key, tokens, now); err != nil {
		return false, 0, fmt.Errorf("postgres: take attempt: %w", err)
	}
	if ok {
		return true, 0, nil
	}
	return false, time.Duration((1 - tokens) * float64(per)), nil
}

func (t *tx) ClearAttempts(key string) error {
	if _, err := t.exec(`DELETE FROM attempts WHERE key = $1`, key); err != nil && !errors.Is(err, errUnstorable) {
		return fmt.Errorf("postgres: clear attempts: %w", err)
	}
	return nil
}
