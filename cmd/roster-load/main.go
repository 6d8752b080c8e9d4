// Command roster-load drives a running Roster server with concurrent clients
// for a bounded time and reports throughput, latency percentiles and errors.
//
//	roster-load -url http://127.0.0.1:8080 -token rst_… -account acc_… -mode check -c 64 -d 30s
//
// Modes:
//
//	check    POST /check for random members and permissions (the hot path)
//	batch    POST /check/batch with -batch checks each
//	mixed    80% checks, 15% member lists, 5% role changes (-mix to change)
//	trivial  a trivial net/http JSON handler: the ceiling that check
//	         throughput is compared against. It is served by this process,
//	         or, with -trivial-url, by another started with -serve-trivial
//	         (a separate server process, as roster serve is)
//
// By default the clients form a closed loop: each sends its next request as
// soon as its last is answered, which finds the most a server can answer
// (requests per second) and what a request waits at that rate. With -rate,
// requests are due at fixed intervals, -rate a second in all, whatever the
// answers, and the -c clients take them in turn (an open loop): the
// latency of a request runs from when it was due, so a server that falls
// behind is charged for the wait, not only for the requests it answers.
// That is how to compare the latency of two servers at the same load.
//
// Before a run it invites -members people (if the account has fewer) so
// that checks, lists and writes have someone to act on.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "roster-load:", err)
		os.Exit(2)
	}
}

type config struct {
	url, token, account, mode, mix, permission, output string
	trivialURL, serveTrivial                           string
	concurrency, batch, members                        int
	duration                                           time.Duration
	rate                                               float64
}

func run(args []string, stdout io.Writer) error {
	var c config
	fs := flag.NewFlagSet("roster-load", flag.ContinueOnError)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "base URL of the server")
	fs.StringVar(&c.token, "token", "", "API token of a member with members.read (and members.edit for writes)")
	fs.StringVar(&c.account, "account", "", "account id")
	fs.StringVar(&c.mode, "mode", "check", "check, batch, mixed or trivial")
	fs.StringVar(&c.mix, "mix", "80,15,5", "mixed mode: percent of checks, lists, writes")
	fs.StringVar(&c.permission, "permission", "", "permission to check (default: each role's permissions in turn)")
	fs.StringVar(&c.output, "o", "text", "text or json")
	fs.IntVar(&c.concurrency, "c", 64, "concurrent clients")
	fs.IntVar(&c.batch, "batch", 100, "checks per batch request")
	fs.IntVar(&c.members, "members", 200, "members to make sure the account has before the run")
	fs.DurationVar(&c.duration, "d", 10*time.Second, "how long to run")
	fs.Float64Var(&c.rate, "rate", 0, "requests per second in all, due at fixed intervals (default: each client as fast as it is answered)")
	fs.StringVar(&c.trivialURL, "trivial-url", "", "trivial mode: base URL of a -serve-trivial process (default: serve it here)")
	fs.StringVar(&c.serveTrivial, "serve-trivial", "", "only serve the trivial handler on this address, until stopped")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.serveTrivial != "" {
		l, err := net.Listen("tcp", c.serveTrivial)
		if err != nil {
			return err
		}
		return http.Serve(l, trivialHandler())
	}
	if c.concurrency < 1 || c.duration <= 0 || c.batch < 1 || c.batch > 100 || !(c.rate >= 0 && c.rate <= 1e6) {
		return errors.New("-c and -d must be positive, -batch 1 to 100 and -rate 0 to 1000000")
	}
	if c.trivialURL != "" {
		if c.mode != "trivial" {
			return errors.New("-trivial-url is for -mode trivial")
		}
		if u, err := url.Parse(c.trivialURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("-trivial-url %q: want a base URL such as http://127.0.0.1:9090", c.trivialURL)
		}
	}
	var w workload
	var err error
	switch c.mode {
	case "trivial":
		w, err = trivialWorkload(c.trivialURL)
	case "check", "batch", "mixed":
		if c.token == "" || c.account == "" {
			return errors.New("-token and -account are required")
		}
		w, err = rosterWorkload(c)
	default:
		return fmt.Errorf("unknown -mode %q", c.mode)
	}
	if err != nil {
		return err
	}
	defer w.close()
	res := drive(w, c.concurrency, c.duration, c.rate)
	res.Mode, res.Concurrency = c.mode, c.concurrency
	if c.output == "json" {
		return json.NewEncoder(stdout).Encode(res)
	}
	res.print(stdout)
	return nil
}

// workload makes one request of its kind per call, returning its class
// (for the report), the status, and any transport error.
type workload struct {
	next  func(client *http.Client, rng *rand.Rand) (class string, status int, err error)
	close func()
}

func newClient(concurrency int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = concurrency * 2
	t.MaxIdleConnsPerHost = concurrency * 2
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

// trivialHandler answers POST /check as the check endpoint would, with
// nothing behind it.
func trivialHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /check", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"allowed":true,"code":"granted","reason":"trivial"}` + "\n"))
	})
	return mux
}

// trivialWorkload calls the trivial handler at base, or serves it in this
// process when base is "".
func trivialWorkload(base string) (workload, error) {
	closeServer := func() {}
	if base == "" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return workload{}, err
		}
		srv := &http.Server{Handler: trivialHandler()}
		go srv.Serve(l)
		base, closeServer = "http://"+l.Addr().String(), func() { srv.Close() }
	}
	url := strings.TrimSuffix(base, "/") + "/check"
	body := []byte(`{"user":"usr_x","permission":"issues.read"}`)
	return workload{
		next: func(c *http.Client, _ *rand.Rand) (string, int, error) {
			st, err := do(c, "POST", url, "", body)
			return "check", st, err
		},
		close: closeServer,
	}, nil
}

// do sends one request and drains the answer so the connection is reused.
func do(c *http.Client, method, url, token string, body []byte) (int, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func getJSON(c *http.Client, url, token string, v any) error {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// checkIn is the body of a check, and one check of a batch.
type checkIn struct {
	User       string `json:"user"`
	Permission string `json:"permission"`
}

type role struct {
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
	Assignable  bool     `json:"assignable"`
	Rank        int      `json:"rank"`
}

func rosterWorkload(c config) (workload, error) {
	client := newClient(c.concurrency)
	base := strings.TrimRight(c.url, "/") + "/api/v1/accounts/" + c.account
	var roles struct{ Items []role }
	if err := getJSON(client, base+"/roles", c.token, &roles); err != nil {
		return workload{}, err
	}
	users, err := ensureMembers(client, base, c.token, c.members, roles.Items)
	if err != nil {
		return workload{}, err
	}
	var perms []string
	for _, r := range roles.Items {
		perms = append(perms, r.Permissions...)
	}
	if c.permission != "" {
		perms = []string{c.permission}
	}
	slices.Sort(perms)
	perms = slices.Compact(perms)
	// Writes flip members between two assignable roles of the lowest rank.
	var low []string
	for _, r := range roles.Items {
		if r.Assignable && r.Rank == roles.Items[len(roles.Items)-1].Rank {
			low = append(low, r.Name)
		}
	}
	if len(low) == 1 {
		low = append(low, low[0])
	}
	var mix [3]int
	if _, err := fmt.Sscanf(c.mix, "%d,%d,%d", &mix[0], &mix[1], &mix[2]); err != nil || mix[0]+mix[1]+mix[2] != 100 {
		return workload{}, fmt.Errorf("-mix %q: want three percentages adding up to 100", c.mix)
	}
	// The bodies of checks and batches are made before the run, as the
	// trivial mode's is: made per request, they cost this process, on
	// the cores it shares with the server, more for a check than the
	// trivial handler's fixed body, and a hundred times more for a batch.
	// Each request takes one of them at random; they are the same for
	// every run (the seed is fixed).
	checks := c.mode == "check" || c.mode == "batch" || c.mode == "mixed" && mix[0] > 0
	writes := c.mode == "mixed" && mix[2] > 0
	if (checks || writes) && len(users) == 0 {
		return workload{}, errors.New("no members of the lowest role to ask about or change (see -members)")
	}
	if checks && len(perms) == 0 {
		return workload{}, errors.New("the account's roles grant no permission to ask about")
	}
	rng := rand.New(rand.NewPCG(7, 7))
	randomCheck := func() checkIn {
		return checkIn{User: users[rng.IntN(len(users))], Permission: perms[rng.IntN(len(perms))]}
	}
	var checkBodies, batchBodies [][]byte
	switch {
	case c.mode == "batch":
		batchBodies = make([][]byte, 256)
		for i := range batchBodies {
			batch := make([]checkIn, c.batch)
			for j := range batch {
				batch[j] = randomCheck()
			}
			batchBodies[i], _ = json.Marshal(map[string]any{"checks": batch})
		}
	case checks:
		checkBodies = make([][]byte, 4096)
		for i := range checkBodies {
			checkBodies[i], _ = json.Marshal(randomCheck())
		}
	}
	checkURL, batchURL := base+"/check", base+"/check/batch"
	check := func(cl *http.Client, rng *rand.Rand) (string, int, error) {
		st, err := do(cl, "POST", checkURL, c.token, checkBodies[rng.IntN(len(checkBodies))])
		return "check", st, err
	}
	batch := func(cl *http.Client, rng *rand.Rand) (string, int, error) {
		st, err := do(cl, "POST", batchURL, c.token, batchBodies[rng.IntN(len(batchBodies))])
		return "batch", st, err
	}
	list := func(cl *http.Client, rng *rand.Rand) (string, int, error) {
		q := []string{"", "?q=p", "?sort=-last_login", "?status=pending", "?sort=role&limit=100"}[rng.IntN(5)]
		st, err := do(cl, "GET", base+"/members"+q, c.token, nil)
		return "list", st, err
	}
	write := func(cl *http.Client, rng *rand.Rand) (string, int, error) {
		b, _ := json.Marshal(map[string]string{"role": low[rng.IntN(len(low))]})
		st, err := do(cl, "PATCH", base+"/members/"+users[rng.IntN(len(users))], c.token, b)
		return "write", st, err
	}
	next := check
	switch c.mode {
	case "batch":
		next = batch
	case "mixed":
		next = func(cl *http.Client, rng *rand.Rand) (string, int, error) {
			switch n := rng.IntN(100); {
			case n < mix[0]:
				return check(cl, rng)
			case n < mix[0]+mix[1]:
				return list(cl, rng)
			default:
				return write(cl, rng)
			}
		}
	}
	return workload{next: next, close: func() {}}, nil
}

// ensureMembers returns the ids of up to n members other than owners,
// inviting people with bulk CSV until there are that many.
func ensureMembers(c *http.Client, base, token string, n int, roles []role) ([]string, error) {
	var low string
	for _, r := range roles {
		if r.Assignable {
			low = r.Name // roles come most powerful first: the last assignable is the lowest
		}
	}
	ids := func() ([]string, error) {
		var out []string
		cursor := ""
		for {
			var page struct {
				Items []struct {
					User string `json:"user"`
					Role string `json:"role"`
				} `json:"items"`
				NextCursor string `json:"next_cursor"`
			}
			url := base + "/members?limit=200"
			if cursor != "" {
				url += "&cursor=" + cursor
			}
			if err := getJSON(c, url, token, &page); err != nil {
				return nil, err
			}
			for _, m := range page.Items {
				if m.Role == low {
					out = append(out, m.User)
				}
			}
			if page.NextCursor == "" || len(out) >= n {
				return out, nil
			}
			cursor = page.NextCursor
		}
	}
	have, err := ids()
	if err != nil || len(have) >= n {
		return have, err
	}
	var csv strings.Builder
	csv.WriteString("email,role,name\n")
	stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
	for i := len(have); i < n; i++ {
		fmt.Fprintf(&csv, "load-%s-%d@load.test,%s,Load Person %d\n", stamp, i, low, i)
	}
	req, _ := http.NewRequest("POST", base+"/invitations/bulk", strings.NewReader(csv.String()))
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("bulk invite: %d", resp.StatusCode)
	}
	return ids()
}

// result is what a run measured.
type result struct {
	Mode        string  `json:"mode"`
	Concurrency int     `json:"concurrency"`
	Seconds     float64 `json:"seconds"`
	// Rate is -rate, and Due how many requests fell due during the run at
	// that rate; requests still waiting for a client at the end are in Due
	// but not in Requests, nor in the percentiles.
	Rate       float64        `json:"rate,omitempty"`
	Due        int            `json:"due,omitempty"`
	Requests   int            `json:"requests"`
	RPS        float64        `json:"rps"`
	P50ms      float64        `json:"p50_ms"`
	P90ms      float64        `json:"p90_ms"`
	P99ms      float64        `json:"p99_ms"`
	MaxMs      float64        `json:"max_ms"`
	Statuses   map[string]int `json:"statuses"`
	ByClass    map[string]int `json:"by_class"`
	Errors     int            `json:"transport_errors"`
	FirstError string         `json:"first_error,omitempty"`
}

// drive runs the workload for d with concurrency clients: in a closed loop
// when rate is 0, else in an open loop of rate requests a second.
func drive(w workload, concurrency int, d time.Duration, rate float64) result {
	start := time.Now()
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(d))
	defer cancel()
	client := newClient(concurrency)
	// next waits for a client's next request and returns when it is due
	// (when it is sent, in a closed loop), or false when the run is over.
	next := func() (time.Time, bool) { return time.Now(), ctx.Err() == nil }
	var due int
	pacerDone := make(chan struct{})
	if rate > 0 {
		due = int(d.Seconds() * rate)
		times := make(chan time.Time, concurrency)
		go pace(ctx, times, start, rate, due, pacerDone)
		next = func() (time.Time, bool) {
			select {
			case t, ok := <-times:
				return t, ok && ctx.Err() == nil
			case <-ctx.Done():
				return time.Time{}, false
			}
		}
	} else {
		close(pacerDone)
	}
	type sample struct {
		lat    []time.Duration
		status map[string]int
		class  map[string]int
		errs   int
		first  string
	}
	samples := make([]sample, concurrency)
	var wg sync.WaitGroup
	for i := range samples {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &samples[i]
			s.status, s.class = map[string]int{}, map[string]int{}
			rng := rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano())))
			for {
				t0, ok := next()
				if !ok {
					break
				}
				class, st, err := w.next(client, rng)
				if err != nil {
					if ctx.Err() != nil {
						break
					}
					s.errs++
					if s.first == "" {
						s.first = err.Error()
					}
					continue
				}
				s.lat = append(s.lat, time.Since(t0))
				s.status[strconv.Itoa(st)]++
				s.class[class]++
			}
		}()
	}
	wg.Wait()
	<-pacerDone
	elapsed := time.Since(start)
	res := result{Seconds: elapsed.Seconds(), Rate: rate, Due: due, Statuses: map[string]int{}, ByClass: map[string]int{}}
	var all []time.Duration
	for _, s := range samples {
		all = append(all, s.lat...)
		for k, v := range s.status {
			res.Statuses[k] += v
		}
		for k, v := range s.class {
			res.ByClass[k] += v
		}
		res.Errors += s.errs
		if res.FirstError == "" {
			res.FirstError = s.first
		}
	}
	slices.Sort(all)
	res.Requests = len(all)
	res.RPS = float64(len(all)) / elapsed.Seconds()
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[min(len(all)-1, int(p*float64(len(all))))].Microseconds()) / 1000
	}
	res.P50ms, res.P90ms, res.P99ms = pct(0.50), pct(0.90), pct(0.99)
	if len(all) > 0 {
		res.MaxMs = float64(all[len(all)-1].Microseconds()) / 1000
	}
	return res
}

// pace sends on times the moments when n requests fall due, rate a second
// from start, each at its moment or, when every client is busy, as soon as
// one takes it (keeping its moment, from which its latency counts). It
// closes done when it has sent them all or ctx ends.
func pace(ctx context.Context, times chan<- time.Time, start time.Time, rate float64, n int, done chan<- struct{}) {
	defer close(done)
	defer close(times)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i := range n {
		at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		if wait := time.Until(at); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		}
		select {
		case times <- at:
		case <-ctx.Done():
			return
		}
	}
}

func (r result) print(w io.Writer) {
	fmt.Fprintf(w, "mode %s, %d clients, %.1fs: %d requests, %.0f req/s\n", r.Mode, r.Concurrency, r.Seconds, r.Requests, r.RPS)
	if r.Rate > 0 {
		fmt.Fprintf(w, "open loop at %.0f req/s: %d requests due, %d answered or failed\n", r.Rate, r.Due, r.Requests+r.Errors)
	}
	fmt.Fprintf(w, "latency p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n", r.P50ms, r.P90ms, r.P99ms, r.MaxMs)
	fmt.Fprintf(w, "statuses %v, by class %v, transport errors %d %s\n", r.Statuses, r.ByClass, r.Errors, r.FirstError)
}
