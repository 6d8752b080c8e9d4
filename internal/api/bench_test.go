package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/api"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/httpserver"
	"github.com/rosterhq/roster/internal/password"
	"github.com/rosterhq/roster/internal/sqlite"
	"github.com/rosterhq/roster/policy"
)

// BenchmarkHTTPCheck measures the check endpoint as a service calls it:
// real HTTP over loopback to the whole server (middleware, API token,
// JSON) on SQLite, from parallel keep-alive clients. Beside it, in the same
// run, the ceiling: a trivial net/http JSON handler served and called the
// same way. The figures to compare are the sub-benchmarks' ns/op (their
// ratio is the check's share of the ceiling's throughput) and a batch of
// 100 checks against one:
//
//	go test -run '^$' -bench HTTPCheck -count=5 ./internal/api/
//
// cmd/roster-load measures the same against a running `roster serve`,
// with latency percentiles.
func BenchmarkHTTPCheck(b *testing.B) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "roster.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	defer srv.Close()
	a := app.New(app.Config{Store: store, Hasher: password.NewHasher(password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1}, 4),
		BaseURL: srv.URL, Logger: log})
	registry := prometheus.NewRegistry()
	handler = httpserver.New(httpserver.Config{
		Store: store, Logger: log, Auth: a, Registry: registry,
		API: api.New(api.Config{App: a, Logger: log, Registerer: registry, Limits: httpserver.NewLimits(100000, 100000, nil, nil)}),
	}).Handler()

	catalog, err := policy.Builtin("bizmetry")
	if err != nil {
		b.Fatal(err)
	}
	out, err := a.CreateAccount(ctx, app.NewAccount{Name: "Bench", OwnerEmail: "owner@bench.test", Catalog: catalog})
	if err != nil {
		b.Fatal(err)
	}
	link, err := url.Parse(out.ActivationURL)
	if err != nil {
		b.Fatal(err)
	}
	acc, err := a.AcceptInvitation(ctx, "", app.Acceptance{Token: link.Query().Get("token"), Name: "Olive Owner", Password: pw})
	if err != nil {
		b.Fatal(err)
	}
	owner := roster.Principal{UserID: acc.User.ID}
	// Checks ask about the owner (allowed) and pending members (denied)
	// in turn.
	users := []string{acc.User.ID}
	for i := range 63 {
		m, err := a.Invite(ctx, owner, out.Account.ID, app.Invitation{Email: fmt.Sprintf("dev%d@bench.test", i), Role: "Developer"})
		if err != nil {
			b.Fatal(err)
		}
		users = append(users, m.UserID)
	}
	_, token, err := a.CreateToken(ctx, owner, app.NewToken{Name: "bench", AccountID: out.Account.ID})
	if err != nil {
		b.Fatal(err)
	}

	trivial := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"allowed":true,"code":"granted","reason":"trivial"}` + "\n"))
	}))
	defer trivial.Close()

	// The bodies are made before the clients start, so that the clients,
	// on the cores they share with the server, spend no more on a batch
	// than on a check: the i-th request sends the i-th of the case's 64.
	var one, batch [64][]byte
	for i := range 64 {
		one[i] = fmt.Appendf(nil, `{"user":%q,"permission":"members.read"}`, users[i%len(users)])
		var body bytes.Buffer
		body.WriteString(`{"checks":[`)
		for j := range 100 {
			if j > 0 {
				body.WriteByte(',')
			}
			fmt.Fprintf(&body, `{"user":%q,"permission":"members.read"}`, users[(i+j)%len(users)])
		}
		body.WriteString(`]}`)
		batch[i] = body.Bytes()
	}
	base := srv.URL + "/api/v1/accounts/" + out.Account.ID
	for _, bc := range []struct {
		name, url string
		body      *[64][]byte
	}{
		{"trivial", trivial.URL + "/check", &one},
		{"check", base + "/check", &one},
		{"batch100", base + "/check/batch", &batch},
	} {
		b.Run(bc.name, func(b *testing.B) {
			// 64 clients, as cmd/roster-load runs, each with a connection
			// kept alive.
			clients := max(1, 64/runtime.GOMAXPROCS(0))
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * runtime.GOMAXPROCS(0)}}
			defer client.CloseIdleConnections()
			b.SetParallelism(clients)
			b.RunParallel(func(pb *testing.PB) {
				for i := 0; pb.Next(); i++ {
					req, err := http.NewRequest("POST", bc.url, bytes.NewReader(bc.body[i%len(bc.body)]))
					if err != nil {
						b.Error(err)
						return
					}
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"allowed":`) {
						b.Errorf("%s: %d %s", bc.name, resp.StatusCode, body)
						return
					}
				}
			})
		})
	}
}
