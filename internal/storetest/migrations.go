package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// PendingCopiesMigration checks the migration after which a pending member
// shows only what the inviting account gave (DECISIONS 45). oldCopy makes a
// pending membership what the code before it wrote: the user's last login
// (and name, which the fixtures already copy); redo takes the migrations
// back to the one before it and applies them all again.
func PendingCopiesMigration(t *testing.T, s roster.Store, oldCopy func(account, user string, login time.Time), redo func()) {
	t.Helper()
	a := NewAccount(t, s, "Acme", "bigeye")
	login := T0.Add(time.Hour)
	registered := NewUser(t, s, "Rita Registered", "rr@acme.test")
	Write(t, s, "", func(tx roster.Tx) error {
		if err := tx.SetUserPassword(registered.ID, "", "hash"); err != nil {
			return err
		}
		return tx.SetLastLogin(registered.ID, login)
	})
	invited := NewUser(t, s, "Given Name", "gil@acme.test")
	NewMember(t, s, a, registered, "User", roster.StatusPending)
	NewMember(t, s, a, invited, "User", roster.StatusPending)
	oldCopy(a.ID, registered.ID, login)
	if got := member(t, s, a.ID, registered.ID); got.LastLoginAt == nil || got.Name != "Rita Registered" {
		t.Fatalf("the old copy was not made: %+v", got)
	}

	redo()

	if got := member(t, s, a.ID, registered.ID); got.Name != "" || got.LastLoginAt != nil {
		t.Errorf("a registered person's pending membership after the migration: name %q, last login %v; want neither", got.Name, got.LastLoginAt)
	}
	if got := member(t, s, a.ID, invited.ID); got.Name != "Given Name" {
		t.Errorf("an unregistered person's pending membership after the migration: name %q, want the inviter's %q", got.Name, "Given Name")
	}
	countSearches(t, s, a.ID, map[string]int{"rita": 0, "given": 1})
}

// MarkedWordsMigration checks the migration that indexes again the names
// written with marks or joiners, at which roster.SearchWords split words
// before it ("प्रिया" was three words of one letter). oldWords replaces a
// member's indexed words with those given, as the store wrote them then;
// redo takes the migrations back to the one before it and applies them all
// again.
func MarkedWordsMigration(t *testing.T, s roster.Store, oldWords func(account, user string, words []string), redo func()) {
	t.Helper()
	a := NewAccount(t, s, "Acme", "bigeye")
	priya := NewUserMember(t, s, a, "प्रिया पटेल", "User", roster.StatusActive)
	puja := NewUserMember(t, s, a, "पूजा राय", "User", roster.StatusPending)
	dana := NewUserMember(t, s, a, "Dana Dev", "User", roster.StatusActive)
	oldWords(a.ID, priya.UserID, []string{"प", "र", "य", "पट", "ल"})
	oldWords(a.ID, puja.UserID, []string{"प", "ज", "र", "य"})
	search := func(q string) []string {
		var ids []string
		Read(t, s, func(tx roster.Tx) error {
			page, err := tx.ListMembers(a.ID, roster.MemberFilter{Query: q, Limit: 10})
			for _, m := range page.Items {
				ids = append(ids, m.UserID)
			}
			return err
		})
		slices.Sort(ids)
		return ids
	}
	if got := search("य"); len(got) != 2 {
		t.Fatalf("the old words were not made: %q finds %d members, want 2", "य", len(got))
	}

	redo()

	for q, want := range map[string][]string{
		"प्रि": {priya.UserID}, "र": {puja.UserID}, "य": nil, "प": {priya.UserID, puja.UserID}, "dana": {dana.UserID},
	} {
		slices.Sort(want)
		if got := search(q); !slices.Equal(got, want) {
			t.Errorf("search %q after the migration: %q, want %q", q, got, want)
		}
	}
}

// RepairKeepsGivenNames: the repair of edited migrations (SQLite 8,
// PostgreSQL 11), run again by redo, leaves alone the name an inviter gave
// a pending member who has a password from elsewhere, and its words.
func RepairKeepsGivenNames(t *testing.T, s roster.Store, redo func()) {
	a := NewAccount(t, s, "Acme", "bigeye")
	u := NewUser(t, s, "Own Name", "")
	Write(t, s, "", func(tx roster.Tx) error { return tx.SetUserPassword(u.ID, "", "a-hash") })
	pending := &roster.Member{AccountID: a.ID, UserID: u.ID, Name: "Given By Inviter", Role: "User",
		RoleOrder: RoleOrder(t, a.Catalog, "User"), Status: roster.StatusPending, InvitedAt: &T0}
	Write(t, s, a.ID, func(tx roster.Tx) error { return tx.CreateMember(pending) })
	redo()
	Read(t, s, func(tx roster.Tx) error {
		m, err := tx.Member(a.ID, u.ID)
		if err != nil {
			return err
		}
		if m.Name != "Given By Inviter" {
			t.Errorf("after the repair the pending member's name is %q, want the inviter's", m.Name)
		}
		page, err := tx.ListMembers(a.ID, roster.MemberFilter{Query: "given", Limit: 10})
		if err != nil {
			return err
		}
		if len(page.Items) != 1 {
			t.Errorf("after the repair a search for the given name finds %d members, want 1", len(page.Items))
		}
		return nil
	})
}

// EmailDomainKeysMigration: the migration that keys emails by their domain
// as IDNA reads it (SQLite 10, PostgreSQL 13) gives the users keyed before
// by a domain's other spelling the key EmailKey gives now, in users and in
// their memberships, so that each is found in any spelling; a user whose
// new key another user holds keeps theirs. old sets a user's email and its
// key as the store wrote them before (users and members); redo takes the
// migrations back to the one before it and applies them all again.
func EmailDomainKeysMigration(t *testing.T, s roster.Store, old func(user, email, key string), redo func()) {
	t.Helper()
	a := NewAccount(t, s, "Acme", "bigeye")
	encoded := NewMember(t, s, a, NewUser(t, s, "Dora Dup", ""), "User", roster.StatusActive)
	old(encoded.UserID, "Dup@XN--BCHER-KVA.example", "dup@xn--bcher-kva.example")
	wide := NewMember(t, s, a, NewUser(t, s, "Wes Wide", ""), "User", roster.StatusPending)
	old(wide.UserID, "wes@ｘ.test", "wes@ｘ.test")
	first := NewMember(t, s, a, NewUser(t, s, "Cleo First", "c@bücher.example"), "User", roster.StatusActive)
	second := NewMember(t, s, a, NewUser(t, s, "Carl Second", ""), "User", roster.StatusActive)
	old(second.UserID, "c@xn--bcher-kva.example", "c@xn--bcher-kva.example")

	redo()

	Read(t, s, func(tx roster.Tx) error {
		for email, want := range map[string]string{
			"dup@bücher.example": encoded.UserID, "DUP@xn--bcher-kva.example": encoded.UserID,
			"wes@x.test": wide.UserID, "wes@ｘ.test": wide.UserID,
			"c@bücher.example": first.UserID, "c@xn--bcher-kva.example": first.UserID,
		} {
			u, err := tx.UserByEmail(email)
			if err != nil || u.ID != want {
				t.Errorf("UserByEmail(%q) after the migration = %v, %v; want %s", email, u, err, want)
			}
		}
		if _, err := tx.User(second.UserID); err != nil {
			t.Errorf("the user whose new key was taken: %v", err)
		}
		// The memberships' copies of the key: the list finds the member
		// by the start of their email in its new key.
		page, err := tx.ListMembers(a.ID, roster.MemberFilter{Query: "dup@bü", Limit: 10})
		if err != nil {
			return err
		}
		if len(page.Items) != 1 || page.Items[0].UserID != encoded.UserID {
			t.Errorf("the list's search for dup@bü after the migration: %d members, want Dora", len(page.Items))
		}
		return nil
	})
}

// EmailKeysWrittenSince checks the migration after EmailDomainKeysMigration's
// (SQLite 11, PostgreSQL 14): an instance from before that one, serving
// beside the instance that migrated, wrote keys as written (old, as in
// EmailDomainKeysMigration); the migration (redo) keys them again, keeps
// the written key of a user whose new key another holds, where
// UserByWrittenEmail finds them, and has runs_with name a migration no
// binary from before knows (want).
func EmailKeysWrittenSince(t *testing.T, s roster.Store, old func(user, email, key string), redo func(), runsWith func() int64, want int64) {
	t.Helper()
	a := NewAccount(t, s, "Acme", "bigeye")
	boss := NewMember(t, s, a, NewUser(t, s, "Bea Boss", "boss@bücher.example"), "User", roster.StatusActive)
	late := NewMember(t, s, a, NewUser(t, s, "Lou Late", ""), "User", roster.StatusPending)
	old(late.UserID, "Lou@XN--MNCHEN-3YA.example", "lou@xn--mnchen-3ya.example")
	twin := NewMember(t, s, a, NewUser(t, s, "Tim Twin", ""), "User", roster.StatusPending)
	old(twin.UserID, "Boss@XN--BCHER-KVA.example", "boss@xn--bcher-kva.example")

	redo()

	Read(t, s, func(tx roster.Tx) error {
		for email, want := range map[string]string{
			"lou@münchen.example": late.UserID, "lou@xn--mnchen-3ya.example": late.UserID,
			"boss@xn--bcher-kva.example": boss.UserID,
		} {
			if u, err := tx.UserByEmail(email); err != nil || u.ID != want {
				t.Errorf("UserByEmail(%q) after the migration = %v, %v; want %s", email, u, err, want)
			}
		}
		if u, err := tx.UserByWrittenEmail("BOSS@xn--bcher-kva.example"); err != nil || u.ID != twin.UserID {
			t.Errorf("UserByWrittenEmail of the twin's spelling = %v, %v; want the twin, who kept it", u, err)
		}
		if u, err := tx.UserByWrittenEmail("lou@xn--mnchen-3ya.example"); roster.ErrorCode(err) != roster.CodeNotFound {
			t.Errorf("UserByWrittenEmail of a key moved = %v, %v; want not_found", u, err)
		}
		return nil
	})
	if got := runsWith(); got < want {
		t.Errorf("runs_with after the migration = %d, want at least %d (later migrations may raise it)", got, want)
	}
}

// LeadWordsMigration checks the migration after which member_words no
// longer holds the first word of a name whose sort key begins with it
// (roster.IndexedWords). oldWords replaces a member's indexed words with
// those given, as the store wrote them before; words returns a member's
// indexed words; redo takes the migrations back to the one before it and
// applies them all again.
func LeadWordsMigration(t *testing.T, s roster.Store, oldWords func(account, user string, words []string),
	words func(account, user string) []string, redo func()) {
	t.Helper()
	a := NewAccount(t, s, "Acme", "bigeye")
	names := []string{"Dana Dev", "Dana Dana", "(Kim) Lee", "Eve"}
	var members []*roster.Member
	for i, name := range names {
		status := roster.StatusActive
		if i%2 == 1 {
			status = roster.StatusPending
		}
		m := NewUserMember(t, s, a, name, "User", status)
		oldWords(a.ID, m.UserID, roster.SearchWords(name))
		members = append(members, m)
	}
	for i, m := range members {
		if got, want := words(a.ID, m.UserID), roster.SearchWords(names[i]); !sameWords(got, want) {
			t.Fatalf("the old words of %q were not made: %q, want %q", names[i], got, want)
		}
	}

	redo()

	for i, m := range members {
		if got, want := words(a.ID, m.UserID), roster.IndexedWords(names[i]); !sameWords(got, want) {
			t.Errorf("the words of %q after the migration: %q, want %q", names[i], got, want)
		}
	}
	countSearches(t, s, a.ID, map[string]int{"dana": 2, "dev": 1, "kim": 1, "lee": 1, "eve": 1, "d": 2})
}

// sameWords reports whether a and b hold the same words, in any order.
func sameWords(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// countSearches checks, after a migration, how many members of account each
// query finds.
func countSearches(t *testing.T, s roster.Store, account string, want map[string]int) {
	t.Helper()
	Read(t, s, func(tx roster.Tx) error {
		for q, n := range want {
			page, err := tx.ListMembers(account, roster.MemberFilter{Query: q, Limit: 10})
			if err != nil {
				return err
			}
			if len(page.Items) != n {
				t.Errorf("search %q after the migration: %d members, want %d", q, len(page.Items), n)
			}
		}
		return nil
	})
}

// AddFirstWordNames renames members 100 to 129 of a filled account (see
// FillUserID) for the query plan tests: ten to "Kim Alexa0"… "Kim Alexa9",
// later words that start like first names ("alex"); ten to "User00002x
// Lee", first words that start like emails ("user00002"); and ten to
// "Danae Dev10"… "Danae Dev19", a second first word that "dana" starts.
// Pending members keep their names.
func AddFirstWordNames(t *testing.T, s roster.Store, account string) {
	t.Helper()
	Write(t, s, "", func(tx roster.Tx) error {
		for i := range 30 {
			name := fmt.Sprintf("Kim Alexa%d", i)
			switch {
			case i >= 20:
				name = fmt.Sprintf("Danae Dev1%d", i-20)
			case i >= 10:
				name = "User00002x Lee"
			}
			if err := tx.SetUserName(FillUserID(account, 100+i), name); err != nil {
				return err
			}
		}
		return nil
	})
}
