package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// maxStmts bounds a stmtCache. The store's statements are fixed texts
// plus the member list's, whose shape depends on the filter (and a
// search on its number of words); past the bound, statements are
// prepared per transaction but not kept.
const maxStmts = 512

// stmtCache holds a connection pool's prepared statements by their text:
// SQLite parses and plans a statement in about as long as it takes to
// run a small one. A pool's *sql.Stmt is prepared again on each
// connection the first time it runs there, and kept with it.
//
// Preparing a pool's statement needs a free connection, and the writer
// has only one, held by the transaction that first runs the statement;
// so a statement seen for the first time is prepared in the background,
// for the transactions after this one, which prepares its own.
type stmtCache struct {
	db *sql.DB

	mu      sync.Mutex
	closed  bool
	ready   map[string]*sql.Stmt
	pending map[string]bool
	// preparing counts the background preparations, which close waits
	// for: one still running after the pool is closed could open a
	// connection, and with it the database's files, again.
	preparing sync.WaitGroup
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, ready: make(map[string]*sql.Stmt), pending: make(map[string]bool)}
}

// lookup returns the pool's statement for query, or nil when it is not
// prepared yet (and then starts preparing it).
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.ready[query]; ok || c.closed || c.pending[query] || len(c.ready)+len(c.pending) >= maxStmts {
		return st
	}
	c.pending[query] = true
	c.preparing.Go(func() { c.prepare(query) })
	return nil
}

func (c *stmtCache) prepare(query string) {
	st, err := c.db.PrepareContext(context.Background(), query)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, query)
	switch {
	case err != nil:
		// Not kept: the transaction that ran it reported any error, and
		// the next one to run it will try again.
	case c.closed:
		st.Close()
	default:
		c.ready[query] = st
	}
}

// close closes the statements, once the preparations under way have
// ended (each then closes its own).
func (c *stmtCache) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.preparing.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.ready {
		st.Close()
	}
	c.ready = nil
}
