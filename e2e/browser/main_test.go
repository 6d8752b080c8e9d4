// Package browser drives the real roster binary's web UI in headless
// Chromium: the flows of the seed pages as an administrator clicks through
// them, with assertions on what each page shows. With ROSTER_SCREENSHOTS=1
// it also writes the README's screenshots to docs/screenshots/.
//
// The tests skip, loudly, when no Chromium is installed, and fail instead
// when ROSTER_REQUIRE_ALL=1 (as CI sets it).
package browser

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/rosterhq/roster/e2e/internal/rosterbin"
)

// rosterBin is the binary built once by TestMain; chromium the browser
// found, "" when none is.
var (
	rosterBin string
	chromium  string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	chromium = findChromium()
	if chromium == "" && os.Getenv("ROSTER_REQUIRE_ALL") != "1" {
		// Nothing to build for: every test skips with the reason.
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "roster-browser-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "browser:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if rosterBin, err = rosterbin.Build("../..", dir); err != nil {
		fmt.Fprintln(os.Stderr, "browser: build roster:", err)
		return 1
	}
	return m.Run()
}

// findChromium returns the browser to drive: $ROSTER_CHROMIUM, or the first
// Chromium or Chrome on the PATH or at /usr/bin/chromium.
func findChromium() string {
	if p := os.Getenv("ROSTER_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// needChromium skips the test when there is no browser, or fails it when
// ROSTER_REQUIRE_ALL=1 says every test must run.
func needChromium(t *testing.T) {
	t.Helper()
	if chromium != "" {
		return
	}
	msg := "NO CHROMIUM: the browser tests of the web UI did not run. Install it (apt-get install -y chromium) or set ROSTER_CHROMIUM to a Chrome/Chromium binary."
	if os.Getenv("ROSTER_REQUIRE_ALL") == "1" {
		t.Fatal(msg + " (ROSTER_REQUIRE_ALL=1 forbids skipping)")
	}
	t.Skip(msg)
}
