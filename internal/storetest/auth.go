package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rosterhq/roster"
)

func session(t *testing.T, s roster.Store, id string) (*roster.Session, error) {
	t.Helper()
	var got *roster.Session
	var err error
	Read(t, s, func(tx roster.Tx) error {
		got, err = tx.Session(id)
		return nil
	})
	return got, err
}

func testSessions(t *testing.T, s roster.Store) {
	u := NewUser(t, s, "Sam Session", "")
	other := NewUser(t, s, "Other", "")
	newSession := func(user string) *roster.Session {
		se := &roster.Session{ID: NewID("sess"), UserID: user, CreatedAt: T0, ExpiresAt: T0.Add(24 * time.Hour), LastSeenAt: T0}
		Write(t, s, "", func(tx roster.Tx) error { return tx.CreateSession(se) })
		return se
	}
	s1, s2, s3 := newSession(u.ID), newSession(u.ID), newSession(u.ID)
	o1 := newSession(other.ID)

	got, err := session(t, s, s1.ID)
	if err != nil {
		t.Fatalf("Session: %v", err)
	}
	if diff := cmp.Diff(s1, got); diff != "" {
		t.Errorf("Session mismatch (-want +got):\n%s", diff)
	}
	_, err = session(t, s, "no-such-session")
	wantCode(t, "Session(unknown)", err, roster.CodeNotFound)
	dup := *s1
	wantWriteCode(t, s, "", "CreateSession(taken id)", roster.CodeConflict,
		func(tx roster.Tx) error { return tx.CreateSession(&dup) })

	seen, expires := T0.Add(time.Hour), T0.Add(25*time.Hour)
	Write(t, s, "", func(tx roster.Tx) error { return tx.TouchSession(s1.ID, seen, expires) })
	got, err = session(t, s, s1.ID)
	if err != nil || !got.LastSeenAt.Equal(seen) || !got.ExpiresAt.Equal(expires) || !got.CreatedAt.Equal(T0) {
		t.Errorf("Session after TouchSession = %+v, %v; want last seen %v, expires %v", got, err, seen, expires)
	}
	wantWriteCode(t, s, "", "TouchSession(unknown)", roster.CodeNotFound,
		func(tx roster.Tx) error { return tx.TouchSession("no-such-session", seen, expires) })

	Write(t, s, "", func(tx roster.Tx) error { return tx.DeleteSession(s3.ID) })
	_, err = session(t, s, s3.ID)
	wantCode(t, "Session after DeleteSession", err, roster.CodeNotFound)
	wantWriteCode(t, s, "", "DeleteSession twice", roster.CodeNotFound,
		func(tx roster.Tx) error { return tx.DeleteSession(s3.ID) })

	// Another session of the user, then "log out everywhere else" from s1.
	s4 := newSession(u.ID)
	var n int
	Write(t, s, "", func(tx roster.Tx) error {
		var err error
		n, err = tx.DeleteUserSessions(u.ID, s1.ID)
		return err
	})
	if n != 2 {
		t.Errorf("DeleteUserSessions(except one of three) = %d, want 2", n)
	}
	for _, id := range []string{s2.ID, s4.ID} {
		_, err := session(t, s, id)
		wantCode(t, "Session after DeleteUserSessions", err, roster.CodeNotFound)
	}
	for _, id := range []string{s1.ID, o1.ID} {
		if _, err := session(t, s, id); err != nil {
			t.Errorf("Session(%s) after DeleteUserSessions: %v; want it kept", id, err)
		}
	}
	Write(t, s, "", func(tx roster.Tx) error {
		var err error
		n, err = tx.DeleteUserSessions(u.ID, "")
		return err
	})
	if n != 1 {
		t.Errorf("DeleteUserSessions(except none) = %d, want 1", n)
	}
	if _, err := session(t, s, o1.ID); err != nil {
		t.Errorf("another user's session after DeleteUserSessions: %v; want it kept", err)
	}
}

func testAPITokens(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bigeye")
	u := NewUserMember(t, s, a, "Tina Token", "Admin", roster.StatusActive)
	other := NewUserMember(t, s, a, "Other", "User", roster.StatusActive)
	expires := T0.Add(30 * 24 * time.Hour)
	k1 := &roster.APIToken{ID: NewID("tok"), UserID: u.UserID, AccountID: a.ID, Name: "ci", Hash: NewID("hash"), CreatedAt: T0}
	k2 := &roster.APIToken{ID: NewID("tok"), UserID: u.UserID, AccountID: a.ID, Name: "deploy", Hash: NewID("hash"), CreatedAt: T0.Add(time.Minute), ExpiresAt: &expires}
	k3 := &roster.APIToken{ID: NewID("tok"), UserID: other.UserID, AccountID: a.ID, Name: "mine", Hash: NewID("hash"), CreatedAt: T0}
	Write(t, s, a.ID, func(tx roster.Tx) error {
		for _, k := range []*roster.APIToken{k1, k2, k3} {
			if err := tx.CreateAPIToken(k); err != nil {
				return err
			}
		}
		return nil
	})

	Read(t, s, func(tx roster.Tx) error {
		got, err := tx.APITokenByHash(k2.Hash)
		if err != nil {
			t.Fatalf("APITokenByHash: %v", err)
		}
		if diff := cmp.Diff(k2, got); diff != "" {
			t.Errorf("APITokenByHash mismatch (-want +got):\n%s", diff)
		}
		_, err = tx.APITokenByHash("no-such-hash")
		wantCode(t, "APITokenByHash(unknown)", err, roster.CodeNotFound)
		list, err := tx.APITokens(u.UserID)
		if err != nil {
			t.Fatalf("APITokens: %v", err)
		}
		if diff := cmp.Diff([]*roster.APIToken{k2, k1}, list); diff != "" {
			t.Errorf("APITokens (newest first) mismatch (-want +got):\n%s", diff)
		}
		return nil
	})

	// A use is recorded, never moved back, and only on its own token; the
	// version a check reads with the token shows it.
	used := T0.Add(time.Hour)
	Write(t, s, "", func(tx roster.Tx) error { return tx.TouchAPIToken(k2.ID, used) })
	Write(t, s, "", func(tx roster.Tx) error { return tx.TouchAPIToken(k2.ID, used.Add(-time.Minute)) })
	Write(t, s, "", func(tx roster.Tx) error { return tx.TouchAPIToken("tok_gone", used) })
	k2.LastUsedAt = &used
	if got, _, err := s.APITokenVersion(context.Background(), k2.Hash); err != nil || !cmp.Equal(k2, got) {
		t.Errorf("APITokenVersion after TouchAPIToken = %+v, %v; want %+v", got, err, k2)
	}
	Read(t, s, func(tx roster.Tx) error {
		for _, k := range []*roster.APIToken{k1, k2, k3} {
			got, err := tx.APITokenByHash(k.Hash)
			if err != nil || !cmp.Equal(k, got) {
				t.Errorf("APITokenByHash(%s) after TouchAPIToken = %+v, %v; want %+v", k.Name, got, err, k)
			}
		}
		return nil
	})

	sameID := *k1
	sameID.Hash = NewID("hash")
	wantWriteCode(t, s, a.ID, "CreateAPIToken(taken id)", roster.CodeConflict,
		func(tx roster.Tx) error { return tx.CreateAPIToken(&sameID) })
	sameHash := *k1
	sameHash.ID = NewID("tok")
	wantWriteCode(t, s, a.ID, "CreateAPIToken(taken hash)", roster.CodeConflict,
		func(tx roster.Tx) error { return tx.CreateAPIToken(&sameHash) })

	wantWriteCode(t, s, a.ID, "DeleteAPIToken(another user's token)", roster.CodeNotFound,
		func(tx roster.Tx) error { return tx.DeleteAPIToken(u.UserID, k3.ID) })
	Write(t, s, a.ID, func(tx roster.Tx) error { return tx.DeleteAPIToken(u.UserID, k1.ID) })
	wantWriteCode(t, s, a.ID, "DeleteAPIToken twice", roster.CodeNotFound,
		func(tx roster.Tx) error { return tx.DeleteAPIToken(u.UserID, k1.ID) })
	Read(t, s, func(tx roster.Tx) error {
		_, err := tx.APITokenByHash(k1.Hash)
		wantCode(t, "APITokenByHash(deleted)", err, roster.CodeNotFound)
		if _, err := tx.APITokenByHash(k3.Hash); err != nil {
			t.Errorf("APITokenByHash(another user's token): %v; want it kept", err)
		}
		return nil
	})
}

func testPasswordResets(t *testing.T, s roster.Store) {
	u := NewUser(t, s, "Riley Reset", "")
	other := NewUser(t, s, "Other", "")
	r1 := &roster.PasswordReset{Hash: NewID("hash"), UserID: u.ID, ExpiresAt: T0.Add(time.Hour)}
	r2 := &roster.PasswordReset{Hash: NewID("hash"), UserID: u.ID, ExpiresAt: T0.Add(2 * time.Hour)}
	r3 := &roster.PasswordReset{Hash: NewID("hash"), UserID: other.ID, ExpiresAt: T0.Add(time.Hour)}
	Write(t, s, "", func(tx roster.Tx) error {
		for _, r := range []*roster.PasswordReset{r1, r2, r3} {
			if err := tx.CreatePasswordReset(r); err != nil {
				return err
			}
		}
		return nil
	})
	Read(t, s, func(tx roster.Tx) error {
		got, err := tx.PasswordResetByHash(r2.Hash)
		if err != nil {
			t.Fatalf("PasswordResetByHash: %v", err)
		}
		if diff := cmp.Diff(r2, got); diff != "" {
			t.Errorf("PasswordResetByHash mismatch (-want +got):\n%s", diff)
		}
		_, err = tx.PasswordResetByHash("no-such-hash")
		wantCode(t, "PasswordResetByHash(unknown)", err, roster.CodeNotFound)
		return nil
	})
	dup := *r1
	dup.UserID = other.ID
	wantWriteCode(t, s, "", "CreatePasswordReset(taken hash)", roster.CodeConflict,
		func(tx roster.Tx) error { return tx.CreatePasswordReset(&dup) })

	Write(t, s, "", func(tx roster.Tx) error { return tx.DeletePasswordResets(u.ID) })
	Read(t, s, func(tx roster.Tx) error {
		for _, r := range []*roster.PasswordReset{r1, r2} {
			_, err := tx.PasswordResetByHash(r.Hash)
			wantCode(t, "PasswordResetByHash after DeletePasswordResets", err, roster.CodeNotFound)
		}
		if _, err := tx.PasswordResetByHash(r3.Hash); err != nil {
			t.Errorf("another user's reset after DeletePasswordResets: %v; want it kept", err)
		}
		return nil
	})
	// Deleting none is not an error.
	Write(t, s, "", func(tx roster.Tx) error { return tx.DeletePasswordResets(u.ID) })
	// One link alone: the other user's stays.
	Write(t, s, "", func(tx roster.Tx) error { return tx.DeletePasswordReset(r3.Hash) })
	Write(t, s, "", func(tx roster.Tx) error { return tx.DeletePasswordReset("no-such-hash") })
	Read(t, s, func(tx roster.Tx) error {
		_, err := tx.PasswordResetByHash(r3.Hash)
		wantCode(t, "PasswordResetByHash after DeletePasswordReset", err, roster.CodeNotFound)
		return nil
	})
	Write(t, s, "", func(tx roster.Tx) error { return tx.CreatePasswordReset(r3) })

	// Pruning deletes the user's expired links alone and counts the rest.
	Write(t, s, "", func(tx roster.Tx) error {
		for _, r := range []*roster.PasswordReset{r1, r2} {
			if err := tx.CreatePasswordReset(r); err != nil {
				return err
			}
		}
		return nil
	})
	for _, c := range []struct {
		now  time.Time
		want int
	}{{T0, 2}, {T0.Add(time.Hour), 1}, {T0.Add(2 * time.Hour), 0}} {
		var n int
		Write(t, s, "", func(tx roster.Tx) error {
			var err error
			n, err = tx.PrunePasswordResets(u.ID, c.now)
			return err
		})
		if n != c.want {
			t.Errorf("PrunePasswordResets at %v = %d, want %d", c.now, n, c.want)
		}
	}
	Read(t, s, func(tx roster.Tx) error {
		_, err := tx.PasswordResetByHash(r1.Hash)
		wantCode(t, "PasswordResetByHash(pruned)", err, roster.CodeNotFound)
		if _, err := tx.PasswordResetByHash(r3.Hash); err != nil {
			t.Errorf("another user's reset after PrunePasswordResets: %v; want it kept", err)
		}
		return nil
	})
}

// testSweep: what has run out goes, what has not stays.
func testSweep(t *testing.T, s roster.Store) {
	u := NewUser(t, s, "Sid Sweep", "")
	now := T0.Add(48 * time.Hour)
	sessions := map[string]time.Time{NewID("sess"): now, NewID("sess"): now.Add(time.Second)}
	resets := map[string]time.Time{NewID("hash"): now.Add(-time.Second), NewID("hash"): now.Add(time.Hour)}
	Write(t, s, "", func(tx roster.Tx) error {
		for id, exp := range sessions {
			if err := tx.CreateSession(&roster.Session{ID: id, UserID: u.ID, CreatedAt: T0, ExpiresAt: exp, LastSeenAt: T0}); err != nil {
				return err
			}
		}
		for hash, exp := range resets {
			if err := tx.CreatePasswordReset(&roster.PasswordReset{Hash: hash, UserID: u.ID, ExpiresAt: exp}); err != nil {
				return err
			}
		}
		for key, at := range map[string]time.Time{"idle": now.Add(-roster.AttemptsKept), "recent": now.Add(-time.Hour)} {
			if _, _, err := tx.TakeAttempt(key, 3, time.Second, at); err != nil {
				return err
			}
		}
		return nil
	})
	// Messages: sent or given up long ago go; pending ones stay however
	// old, and so do recent ones.
	old := now.Add(-roster.MessagesKept)
	msg := func(created time.Time) *roster.Message {
		return enqueue(t, s, &roster.Message{Kind: roster.MessageOwnerNotice, To: "sid@example.test", NextAttemptAt: created, CreatedAt: created})
	}
	oldSent, oldFailed, oldPending, recentSent := msg(old), msg(old), msg(old), msg(now.Add(-time.Hour))
	Write(t, s, "", func(tx roster.Tx) error {
		for _, m := range []*roster.Message{oldSent, recentSent} {
			if err := tx.MarkMessageSent(m.ID, m.CreatedAt); err != nil {
				return err
			}
		}
		return tx.MarkMessageFailed(oldFailed.ID, "550 no such user", time.Time{})
	})
	// One row of a kind at a time: the two old messages go in two sweeps.
	for i, want := range []int64{4, 1, 0} {
		var n int64
		Write(t, s, "", func(tx roster.Tx) error {
			var err error
			n, err = tx.Sweep(now, 1)
			return err
		})
		if n != want {
			t.Errorf("Sweep %d deleted %d rows, want %d (a session, a reset link, a bucket and two old messages, one of a kind at a time)", i+1, n, want)
		}
	}
	Read(t, s, func(tx roster.Tx) error {
		for _, m := range []*roster.Message{oldSent, oldFailed, oldPending, recentSent} {
			_, err := tx.Message(m.ID)
			if gone, want := roster.ErrorCode(err) == roster.CodeNotFound, m == oldSent || m == oldFailed; gone != want {
				t.Errorf("message %d (queued %v) gone after Sweep: %v, want %v", m.ID, m.CreatedAt, gone, want)
			}
		}
		return nil
	})
	Read(t, s, func(tx roster.Tx) error {
		for id, exp := range sessions {
			_, err := tx.Session(id)
			if gone := roster.ErrorCode(err) == roster.CodeNotFound; gone != !exp.After(now) {
				t.Errorf("session expiring at %v after Sweep: %v", exp, err)
			}
		}
		for hash, exp := range resets {
			_, err := tx.PasswordResetByHash(hash)
			if gone := roster.ErrorCode(err) == roster.CodeNotFound; gone != !exp.After(now) {
				t.Errorf("reset expiring at %v after Sweep: %v", exp, err)
			}
		}
		return nil
	})
	// The idle bucket was deleted (a new one allows the whole burst); the
	// recent one was kept, with the attempt taken from it an hour ago
	// (at one attempt per 100 hours, not yet regained).
	Write(t, s, "", func(tx roster.Tx) error {
		for key, want := range map[string]int{"idle": 3, "recent": 2} {
			allowed := 0
			for range 3 {
				if ok, _, err := tx.TakeAttempt(key, 3, 100*time.Hour, now); err != nil {
					return err
				} else if ok {
					allowed++
				}
			}
			if allowed != want {
				t.Errorf("bucket %s after Sweep allowed %d of 3, want %d", key, allowed, want)
			}
		}
		return nil
	})
}
