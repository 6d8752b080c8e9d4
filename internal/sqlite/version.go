package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/rosterhq/roster"
)

const (
	versionQuery      = `SELECT version FROM account_versions WHERE account_id = ?`
	tokenVersionQuery = `SELECT t.id, t.user_id, t.account_id, t.name, t.hash,
		t.created_at, t.expires_at, t.last_used_at, v.version
		FROM api_tokens t JOIN account_versions v ON v.account_id = t.account_id WHERE t.hash = ?`
)

// checkReads serves the check path's two reads (an account's version, a
// token with its account's version) and remembers their answers until the
// next commit to the database, by any connection of any process (this
// process's writer, or a `roster` command on the same file). It learns of
// commits from the WAL index's change counter (walindex.go), or, when that
// cannot be read, from PRAGMA data_version on its own connection. While
// neither has moved, nothing in the database has, and a remembered answer
// is as current as a fresh read; the moment one moves, everything
// remembered is forgotten. So a request usually costs a few nanoseconds
// instead of a query, and nothing can go stale.
type checkReads struct {
	mu                      sync.Mutex
	conn                    *sql.Conn
	dataVersion, ver, token *sql.Stmt
	wal                     *walIndex // nil: ask the pragma
	// What the memo was filled at: the WAL-index header (viaWAL), or
	// data_version.
	viaWAL   bool
	seenWAL  walHeader
	seenDV   int64
	versions map[string]int64
	tokens   map[string]tokenMemo
}

type tokenMemo struct {
	token   roster.APIToken
	version int64
}

// maxMemo bounds the memo; past it, it starts again empty.
const maxMemo = 100_000

// newCheckReads takes a connection of db for the check path and prepares
// its statements. On an error after taking it, it returns what it made, for
// the store's Close to close in order.
func newCheckReads(ctx context.Context, db *sql.DB, path string) (*checkReads, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	c := &checkReads{conn: conn, seenDV: -1}
	// The -shm file exists once a connection has read the database in WAL
	// mode, which the writer's migrations did.
	if w, err := openWALIndex(path); err == nil {
		c.wal = w
	}
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{{&c.dataVersion, `PRAGMA data_version`}, {&c.ver, versionQuery}, {&c.token, tokenVersionQuery}} {
		if *p.dst, err = conn.PrepareContext(ctx, p.query); err != nil {
			return c, err // the store's Close closes c, then the WAL index last
		}
	}
	return c, nil
}

func (c *checkReads) close() error {
	for _, st := range []*sql.Stmt{c.dataVersion, c.ver, c.token} {
		if st != nil {
			st.Close()
		}
	}
	return c.conn.Close()
}

// fresh forgets everything if the database changed since the memo was
// filled. It must run, under mu, before any read whose answer is kept.
func (c *checkReads) fresh(ctx context.Context) error {
	var changed bool
	if h, ok := c.walHeader(); ok {
		changed = !c.viaWAL || h != c.seenWAL
		c.viaWAL, c.seenWAL = true, h
	} else {
		var dv int64
		if err := c.dataVersion.QueryRowContext(ctx).Scan(&dv); err != nil {
			return fmt.Errorf("sqlite: data_version: %w", err)
		}
		changed = c.viaWAL || dv != c.seenDV // a switch between the two forgets
		c.viaWAL, c.seenDV = false, dv
	}
	if changed || len(c.versions)+len(c.tokens) > maxMemo {
		c.versions = make(map[string]int64)
		c.tokens = make(map[string]tokenMemo)
	}
	return nil
}

func (c *checkReads) walHeader() (walHeader, bool) {
	if c.wal == nil {
		return walHeader{}, false
	}
	return c.wal.change()
}

// AccountVersion returns the account's version (see checkReads).
func (s *Store) AccountVersion(ctx context.Context, account string) (int64, error) {
	c := s.checks
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.fresh(ctx); err != nil {
		return 0, err
	}
	if v, ok := c.versions[account]; ok {
		return v, nil
	}
	var v int64
	err := c.ver.QueryRowContext(ctx, account).Scan(&v)
	if err := rowError("account version", err, errAccountNotFound); err != nil {
		return 0, err
	}
	c.versions[account] = v
	return v, nil
}

// APITokenVersion returns the token and its account's version (see checkReads).
func (s *Store) APITokenVersion(ctx context.Context, hash string) (*roster.APIToken, int64, error) {
	c := s.checks
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.fresh(ctx); err != nil {
		return nil, 0, err
	}
	if m, ok := c.tokens[hash]; ok {
		t := m.token
		return &t, m.version, nil
	}
	var k roster.APIToken
	var created, expires, used, version int64
	err := c.token.QueryRowContext(ctx, hash).Scan(&k.ID, &k.UserID, &k.AccountID, &k.Name, &k.Hash, &created, &expires, &used, &version)
	if err := rowError("api token", err, errTokenNotFound); err != nil {
		return nil, 0, err
	}
	k.CreatedAt = fromMicros(created)
	k.ExpiresAt = optTime(expires)
	k.LastUsedAt = optTime(used)
	c.tokens[hash] = tokenMemo{token: k, version: version}
	c.versions[k.AccountID] = version
	t := k
	return &t, version, nil
}
