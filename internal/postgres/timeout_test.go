package postgres

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// TestFrozenServerFailsInsteadOfHanging: a PostgreSQL that takes
// statements and never answers (frozen, or behind a partition) fails the
// store's work after its work timeout instead of holding it until it
// answers again, and the store works again once it does.
func TestFrozenServerFailsInsteadOfHanging(t *testing.T) {
	u, err := url.Parse(pg.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	p := startFreezer(t, u.Host)
	u.Host = p.addr
	ctx := context.Background()
	s, err := Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetWorkTimeout(300 * time.Millisecond)

	count := func() error {
		return s.Read(ctx, func(tx roster.Tx) error {
			_, err := tx.CountAccounts()
			return err
		})
	}
	p.freeze()
	for name, work := range map[string]func() error{
		"a read": count,
		"a write": func() error {
			return s.Write(ctx, "", func(tx roster.Tx) error { _, err := tx.Sweep(time.Now(), 100); return err })
		},
		"a check": func() error { _, _, err := s.APITokenVersion(ctx, "no such token"); return err },
	} {
		done := make(chan error, 1)
		go func() { done <- work() }()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("%s of a frozen server succeeded", name)
			}
		case <-time.After(15 * time.Second):
			p.thaw() // or closing the store waits for it too
			t.Fatalf("%s of a frozen server still waits after 15 s", name)
		}
	}
	p.thaw()
	if err := count(); err != nil {
		t.Errorf("a read once the server answers again: %v", err)
	}
}

// freezer forwards connections to a PostgreSQL server and can stop
// forwarding, as a frozen server or a partition does: the connections stay
// open and nothing comes back.
type freezer struct {
	addr   string
	mu     sync.Mutex
	frozen chan struct{} // nil: forwarding; closed by thaw
}

func startFreezer(t *testing.T, upstream string) *freezer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{addr: l.Addr().String()}
	t.Cleanup(func() { l.Close(); f.thaw() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			go func() { f.copy(up, c); up.Close() }()
			go func() { f.copy(c, up); c.Close() }()
		}
	}()
	return f
}

// copy forwards src to dst, each chunk once the freezer lets it.
func (f *freezer) copy(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			f.mu.Lock()
			frozen := f.frozen
			f.mu.Unlock()
			if frozen != nil {
				<-frozen
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (f *freezer) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.frozen == nil {
		f.frozen = make(chan struct{})
	}
}

func (f *freezer) thaw() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.frozen != nil {
		close(f.frozen)
		f.frozen = nil
	}
}
