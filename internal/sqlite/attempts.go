package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"
)

func (t *tx) TakeAttempt(key string, burst int, per time.Duration, now time.Time) (bool, time.Duration, error) {
	tokens := float64(burst)
	var have float64
	var at int64
	err := t.queryRow(`SELECT tokens, updated_at FROM attempts WHERE key = ?`, key).Scan(&have, &at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return false, 0, fmt.Errorf("sqlite: take attempt: %w", err)
	default:
		// The bucket's time never goes back: instances whose clocks
		// differ would otherwise refill it by the difference at each turn.
		if last := fromMicros(at); last.After(now) {
			now = last
		}
		tokens = math.Min(float64(burst), have+float64(now.Sub(fromMicros(at)))/float64(per))
	}
	ok := tokens >= 1
	if ok {
		tokens--
	}
	if _, err := t.exec(`INSERT INTO attempts (key, tokens, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at`,
		key, tokens, micros(now)); err != nil {
		return false, 0, fmt.Errorf("sqlite: take attempt: %w", err)
	}
	if ok {
		return true, 0, nil
	}
	return false, time.Duration((1 - tokens) * float64(per)), nil
}

func (t *tx) ClearAttempts(key string) error {
	if _, err := t.exec(`DELETE FROM attempts WHERE key = ?`, key); err != nil {
		return fmt.Errorf("sqlite: clear attempts: %w", err)
	}
	return nil
}
