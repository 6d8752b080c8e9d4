package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/e2e/internal/rosterbin"
	"github.com/rosterhq/roster/internal/testlog"
)

// demoPassword is the password of every login that roster serve --demo
// creates (cmd/roster/demo.go).
const demoPassword = "roster-demo-password"

// server is one running `roster serve` process with its own database.
type server struct {
	url  string
	log  *testlog.Buffer
	cmd  *exec.Cmd
	done chan struct{}
}

var servingAddr = regexp.MustCompile(`msg="roster serving" addr=([^ ]+)`)

// startServer runs `roster serve` with extra arguments on a free loopback
// port and a fresh SQLite file, and stops it when the test ends. Links in
// emails point at the server itself, so the browser can open them.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	needChromium(t)
	rosterbin.Track("../..")
	s := &server{log: &testlog.Buffer{}, done: make(chan struct{})}
	db := filepath.Join(t.TempDir(), "roster.db")
	s.cmd = exec.Command(rosterBin, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, args...)...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ROSTER_") {
			env = append(env, kv)
		}
	}
	s.cmd.Env = append(env, "ROSTER_AUTH_BURST_PER_IP=100000", "ROSTER_AUTH_BURST_PER_EMAIL=100000", "ROSTER_MAIL_POLL=100ms")
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start roster serve: %v", err)
	}
	go func() {
		s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() { s.stop(t) })
	deadline := time.Now().Add(60 * time.Second)
	for s.url == "" {
		if m := servingAddr.FindStringSubmatch(s.log.String()); m != nil {
			s.url = "http://" + m[1]
			break
		}
		select {
		case <-s.done:
			t.Fatalf("roster serve exited before serving:\n%s", s.log.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("roster serve did not start within 60s:\n%s", s.log.String())
		}
	}
	for {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /healthz did not answer within 60s (%v):\n%s", err, s.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) stop(t *testing.T) {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	if t.Failed() {
		lines := strings.Split(strings.TrimRight(s.log.String(), "\n"), "\n")
		if len(lines) > 60 {
			lines = lines[len(lines)-60:]
		}
		t.Logf("server log (last 60 lines):\n%s", strings.Join(lines, "\n"))
	}
}

var (
	mailTo    = regexp.MustCompile(`(?:^| )to=("(?:[^"\\]|\\.)*"|[^ ]+)`)
	mailLink  = regexp.MustCompile(`https?://[^ "\\]+/activate\?token=[A-Za-z0-9_-]+`)
	setupLink = regexp.MustCompile(`setup_url=("(?:[^"\\]|\\.)*"|[^ ]+)`)
)

// waitActivationLink waits for the log mailer to deliver an activation
// link to email, and returns the newest one.
func (s *server) waitActivationLink(t *testing.T, email string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		link := ""
		for _, line := range strings.Split(s.log.String(), "\n") {
			if !strings.Contains(line, `msg="mail`) {
				continue
			}
			m := mailTo.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			to := m[1]
			if uq, err := strconv.Unquote(to); err == nil {
				to = uq
			}
			if strings.EqualFold(to, email) {
				if l := mailLink.FindString(line); l != "" {
					link = l
				}
			}
		}
		if link != "" {
			return link
		}
		if time.Now().After(deadline) {
			t.Fatalf("no activation link mailed to %s within 20s", email)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// setupURL is the first-run link roster serve printed.
func (s *server) setupURL(t *testing.T) string {
	t.Helper()
	m := setupLink.FindStringSubmatch(s.log.String())
	if m == nil {
		t.Fatalf("no setup_url in the log:\n%s", s.log.String())
	}
	if uq, err := strconv.Unquote(m[1]); err == nil {
		return uq
	}
	return m[1]
}

// newBrowser starts headless Chromium for the test, with a fresh profile,
// and returns its first tab.
func newBrowser(t *testing.T, s *server) *tab {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	// The first run starts the browser; its context must not time out, or
	// the timeout would end the browser with it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", chromium, err)
	}
	tb := &tab{t: t, ctx: ctx, base: s.url}
	tb.viewport(1280, 800)
	return tb
}

// tab is one browser tab, in its own cookie jar.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// incognito opens a tab in a new browser context of the same browser: a
// second person with cookies of their own.
func (b *tab) incognito() *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open a second browser context: %v", err)
	}
	nb := &tab{t: b.t, ctx: ctx, base: b.base}
	nb.viewport(1280, 800)
	return nb
}

// do runs steps with a deadline, failing the test with what the page
// showed when one fails.
func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v\npage %s:\n%s", what, err, b.location(), b.bodyText())
	}
}

func (b *tab) viewport(w, h int64) {
	b.t.Helper()
	b.do("set viewport", chromedp.EmulateViewport(w, h))
}

// timezone makes the tab's clock read in the zone named (an IANA name).
func (b *tab) timezone(name string) {
	b.t.Helper()
	b.do("set time zone", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: name})
		return err
	}))
}

func (b *tab) open(path string) {
	b.t.Helper()
	url := path
	if strings.HasPrefix(path, "/") {
		url = b.base + path
	}
	b.do("open "+path, chromedp.Navigate(url))
}

// eval evaluates a JavaScript expression.
func eval[T any](b *tab, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func (b *tab) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return loc
}

func (b *tab) bodyText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return s
}

func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitFor waits until the page has loaded and the JavaScript expression
// is true. It asks again and again rather than with one long poll, because
// a click that submits a form replaces the page under a running poll; and
// it waits for the whole page, so that what the test reads next (text,
// count) is not a page still arriving.
func (b *tab) waitFor(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && (`+expr+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		lastErr = err
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("%s: not within 15s (last error %v)\npage %s:\n%s", what, lastErr, b.location(), b.bodyText())
}

// waitText waits until the element sel shows text containing want.
func (b *tab) waitText(sel, want string) {
	b.t.Helper()
	b.waitFor(fmt.Sprintf("wait for %q in %s", want, sel),
		fmt.Sprintf(`(() => { const e = document.querySelector(%s); return !!e && e.innerText.includes(%s); })()`, js(sel), js(want)))
}

// waitGone waits until no element matches sel.
func (b *tab) waitGone(sel string) {
	b.t.Helper()
	b.waitFor("wait for "+sel+" to go", fmt.Sprintf(`document.querySelector(%s) === null`, js(sel)))
}

// text is the visible text of the first element matching sel, "" if none.
func (b *tab) text(sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? e.innerText : ""; })()`, js(sel)))
}

// count is how many elements match sel.
func (b *tab) count(sel string) int {
	b.t.Helper()
	return eval[int](b, fmt.Sprintf(`document.querySelectorAll(%s).length`, js(sel)))
}

// enabled reports whether the element sel exists, is visible and is not disabled.
func (b *tab) enabled(sel string) bool {
	b.t.Helper()
	return eval[bool](b, fmt.Sprintf(`(() => { const e = document.querySelector(%s);
		return !!e && !e.disabled && e.getClientRects().length > 0; })()`, js(sel)))
}

// options are the texts of a select's options.
func (b *tab) options(sel string) []string {
	b.t.Helper()
	return eval[[]string](b, fmt.Sprintf(`Array.from(document.querySelectorAll(%s + " option")).map(o => o.textContent.trim())`, js(sel)))
}

// click clicks the element sel (waiting for it to be visible).
func (b *tab) click(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// clickAway clicks what loads a new page, and waits until it has: a page
// that loads the address it is at already satisfies every wait for what it
// shows before the new one arrives.
func (b *tab) clickAway(sel string) {
	b.t.Helper()
	eval[bool](b, `window.rosterOldPage = true`)
	b.click(sel)
	b.waitFor("wait for a new page after clicking "+sel, `window.rosterOldPage !== true`)
}

// typeInto types text into a field, as a person would.
func (b *tab) typeInto(sel, text string) {
	b.t.Helper()
	b.do("type into "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// choose selects an option of a select by its value.
func (b *tab) choose(sel, value string) {
	b.t.Helper()
	b.do("choose "+value+" in "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SetValue(chromedp.CSS(sel), value))
}

// login signs in through the sign-in page and waits to leave it.
func (b *tab) login(email, password string) {
	b.t.Helper()
	b.open("/login")
	b.typeInto("#login-email", email)
	b.typeInto("#login-password", password)
	b.click(`form[action="/login"] button[type=submit]`)
	b.waitGone("#login-password")
}

// logout signs out with the header's button.
func (b *tab) logout() {
	b.t.Helper()
	b.click(`form[action="/logout"] button`)
	b.waitText(".flash", "You are signed out.")
}

// rowOf is the CSS selector of the member row of email.
func rowOf(email string) string { return fmt.Sprintf(`tr[data-email=%s]`, js(email)) }

// screenshot saves a PNG of the viewport to path.
func (b *tab) screenshot(path string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", path, err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
