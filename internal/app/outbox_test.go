package app

import (
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// A given-up invitation message is the member's latest when the expiry it
// announced, to the second, is the member's invitation's, which the store
// keeps to the microsecond or finer.
func TestReplaced(t *testing.T) {
	expires := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	msg := &roster.Message{Kind: roster.MessageInvitation, Data: map[string]string{"expires_at": expires.Format(time.RFC3339)}}
	at := func(t time.Time) *roster.Member {
		return &roster.Member{Status: roster.StatusPending, InvitationExpiresAt: &t}
	}
	for _, c := range []struct {
		name   string
		msg    *roster.Message
		member *roster.Member
		want   bool
	}{
		{"the same invitation", msg, at(expires), false},
		{"the same, kept to the microsecond", msg, at(expires.Add(123456 * time.Microsecond)), false},
		{"issued again a second later", msg, at(expires.Add(time.Second)), true},
		{"issued again a week later", msg, at(expires.Add(7 * 24 * time.Hour)), true},
		{"in another zone, the same instant", msg, at(expires.In(time.FixedZone("CET", 3600))), false},
		{"the member has no invitation", msg, &roster.Member{Status: roster.StatusPending}, true},
		{"a message that announced no expiry", &roster.Message{Kind: roster.MessageInvitation}, at(expires.Add(time.Hour)), false},
	} {
		if got := replaced(c.msg, c.member); got != c.want {
			t.Errorf("%s: replaced = %v, want %v", c.name, got, c.want)
		}
	}
}
