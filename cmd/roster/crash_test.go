package main

import (
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestCrashKeepsEveryAnsweredWrite sends a burst of writes, kills roster
// serve with SIGKILL in the middle of it, restarts it, and checks that every
// write answered 2xx is there, that nothing is half done (each invited
// member has its audit event, each audit event its member), and that the
// account still has an active owner.
func TestCrashKeepsEveryAnsweredWrite(t *testing.T) {
	db, addr := filepath.Join(t.TempDir(), "r.db"), freePort(t)
	env := []string{"ROSTER_DB=" + db, "ROSTER_BASE_URL=http://" + addr,
		"ROSTER_AUTH_BURST_PER_IP=100000", "ROSTER_AUTH_BURST_PER_EMAIL=100000", "ROSTER_LOG_LEVEL=warn"}
	srv := startServer(t, env, addr)
	owner, acc := ownerSession(t, env, srv.base, "bigeye")

	var mu sync.Mutex
	answered := map[string]bool{} // emails whose invitation was answered 201
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				email := fmt.Sprintf("w%d-%d@acme.test", w, i)
				st, _ := owner.tryJSON("POST", "/api/v1/accounts/"+acc+"/invitations", map[string]string{"email": email, "role": "User"})
				if st == 201 {
					mu.Lock()
					answered[email] = true
					mu.Unlock()
				}
				if st == 0 { // the server is gone
					return
				}
			}
		}()
	}
	time.Sleep(700 * time.Millisecond)
	srv.cmd.Process.Signal(syscall.SIGKILL)
	srv.cmd.Wait()
	close(stop)
	wg.Wait()
	if len(answered) == 0 {
		t.Fatal("no write was answered before the kill: the test proved nothing")
	}

	startServer(t, env, addr)      // owner's client talks to it by address
	members := map[string]string{} // email → user id
	cursor := ""
	for {
		path := "/api/v1/accounts/" + acc + "/members?limit=200"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		st, page := owner.do("GET", path, "", nil)
		if st != 200 {
			t.Fatalf("list after restart: %d %v", st, page)
		}
		for _, it := range page["items"].([]any) {
			m := it.(map[string]any)
			members[m["email"].(string)] = m["user"].(string)
		}
		if cursor, _ = page["next_cursor"].(string); cursor == "" {
			break
		}
	}
	for email := range answered {
		if members[email] == "" {
			t.Errorf("%s was answered 201 but is gone after the crash", email)
		}
	}
	// Every invited member has its audit event, and every event its member.
	invitedEvents := map[string]bool{}
	cursor = ""
	for {
		path := "/api/v1/accounts/" + acc + "/audit?limit=200"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		st, page := owner.do("GET", path, "", nil)
		if st != 200 {
			t.Fatalf("audit after restart: %d", st)
		}
		for _, it := range page["items"].([]any) {
			ev := it.(map[string]any)
			if ev["action"] == "member.invited" {
				invitedEvents[ev["target"].(string)] = true
			}
		}
		if cursor, _ = page["next_cursor"].(string); cursor == "" {
			break
		}
	}
	for email, id := range members {
		if !invitedEvents[id] {
			t.Errorf("member %s has no member.invited event: half done", email)
		}
	}
	if len(invitedEvents) != len(members) {
		t.Errorf("%d member.invited events for %d members: half done", len(invitedEvents), len(members))
	}
	st, page := owner.do("GET", "/api/v1/accounts/"+acc+"/members?role=Owner&status=active", "", nil)
	if st != 200 || len(page["items"].([]any)) != 1 {
		t.Errorf("active owners after the crash: %d %v", st, page)
	}
	t.Logf("%d writes answered before SIGKILL, %d members after restart", len(answered), len(members))
}
