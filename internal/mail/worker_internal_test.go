package mail

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestOutageLoggedOnceAMinute: a store that is down fails every poll, once
// a second; the log says so at once, then once a minute, and says when
// delivery resumes, rather than a line a poll.
func TestOutageLoggedOnceAMinute(t *testing.T) {
	var buf bytes.Buffer
	o := outage{log: slog.New(slog.NewTextHandler(&buf, nil))}
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	down := errors.New("postgres: claim messages: failed to connect")
	o.note(nil, t0) // all well: nothing to say
	for i := range 150 {
		o.note(down, t0.Add(time.Duration(1+i)*time.Second))
	}
	o.note(nil, t0.Add(151*time.Second))
	o.note(nil, t0.Add(152*time.Second))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		`level=ERROR msg="outbox delivery" err="postgres: claim messages: failed to connect"`,
		`level=ERROR msg="outbox delivery still failing" err="postgres: claim messages: failed to connect" failed_polls=61 for=1m0s`,
		`level=ERROR msg="outbox delivery still failing" err="postgres: claim messages: failed to connect" failed_polls=121 for=2m0s`,
		`level=INFO msg="outbox delivery resumed" failed_polls=150 for=2m30s`,
	}
	if len(lines) != len(want) {
		t.Fatalf("the log of 150 failed polls and a good one:\n%s\nwant %d lines", buf.String(), len(want))
	}
	for i, w := range want {
		if !strings.HasSuffix(lines[i], w) {
			t.Errorf("line %d = %s\nwant it to end %s", i+1, lines[i], w)
		}
	}
	// A second outage is logged as a new one.
	buf.Reset()
	o.note(down, t0.Add(200*time.Second))
	if got := buf.String(); !strings.Contains(got, `msg="outbox delivery" err=`) {
		t.Errorf("a second outage's first failure logged %q", got)
	}
}

// A Message-ID is ASCII: the base URL's host in its DNS form, an address
// in brackets.
func TestMessageIDHost(t *testing.T) {
	for base, want := range map[string]string{
		"https://roster.example.com":    "roster.example.com",
		"https://bücher.example:8443/x": "xn--bcher-kva.example",
		"http://127.0.0.1:8080":         "[127.0.0.1]",
		"http://[::1]:8080":             "[::1]",
		"":                              "roster.local",
	} {
		if got := messageIDHost(base); got != want {
			t.Errorf("messageIDHost(%q) = %q, want %q", base, got, want)
		}
	}
}
