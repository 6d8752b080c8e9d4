package sqlite

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/policy"
)

// kept returns how many statements the pool cache holds or is preparing.
func (c *stmtCache) kept() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ready) + len(c.pending)
}

// TestBulkSizesDoNotFillTheStatementCache: bulk invitations of every size
// run their partial INSERTs without keeping them, so the bounded cache of
// prepared statements stays for the statements that repeat.
func TestBulkSizesDoNotFillTheStatementCache(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	a := app.New(app.Config{Store: s, Hasher: password.NewHasher(password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1}, 1), BaseURL: "https://roster.test"})
	catalog, err := policy.Builtin("bigeye")
	if err != nil {
		t.Fatal(err)
	}
	out, err := a.CreateAccount(ctx, app.NewAccount{Name: "Acme", OwnerEmail: "owner@acme.test", Catalog: catalog})
	if err != nil {
		t.Fatal(err)
	}
	link, err := url.Parse(out.ActivationURL)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := a.AcceptInvitation(ctx, "", app.Acceptance{Token: link.Query().Get("token"), Name: "Olive Owner", Password: "a perfectly fine password"})
	if err != nil {
		t.Fatal(err)
	}
	owner := roster.Principal{UserID: acc.User.ID}
	bulk := func(n, from int) {
		var csv strings.Builder
		csv.WriteString("email,role,name\n")
		for i := range n {
			fmt.Fprintf(&csv, "p%d@acme.test,User,Person %d\n", from+i, from+i)
		}
		rows, err := a.BulkInvite(ctx, owner, out.Account.ID, strings.NewReader(csv.String()), false)
		if err != nil || len(rows) != n || rows[0].Outcome != app.OutcomeInvited {
			t.Fatalf("BulkInvite(%d rows) = %v, %v", n, rows, err)
		}
	}
	bulk(1, 0)
	after := s.writerStmts.kept()
	next := 1
	for n := 2; n <= 12; n++ {
		bulk(n, next)
		next += n
	}
	if got := s.writerStmts.kept(); got != after {
		t.Errorf("the writer keeps %d statements after bulks of 2 to 12 rows, %d after one of 1: each size added its own", got, after)
	}
}

// TestStatementCacheCloseWaitsForPreparations: a statement is prepared in
// the background, on a connection of the pool. Closing the cache waits
// for a preparation under way, so that the pool is not closed (and the
// database's files removed, as a test's temporary directory is) while it
// opens a connection; the statement it made is closed, not kept.
func TestStatementCacheCloseWaitsForPreparations(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	c := newStmtCache(s.writer)
	// The writer's only connection is busy: the preparation waits for it.
	conn, err := s.writer.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st := c.lookup(`SELECT count(*) FROM users`); st != nil {
		t.Fatal("a statement seen for the first time was ready at once")
	}
	closed := make(chan struct{})
	go func() { c.close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("close returned while a preparation was under way")
	case <-time.After(200 * time.Millisecond):
	}
	conn.Close() // the preparation gets its connection and ends
	<-closed
	if n := c.kept(); n != 0 {
		t.Errorf("%d statements kept after close", n)
	}
}
