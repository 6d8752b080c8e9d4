package app

import (
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// A given-up invitation message is the member's latest when its
// invitation was issued when it was queued, to the microsecond the stores
// keep: two issued in one second are told apart.
func TestReplaced(t *testing.T) {
	queued := time.Date(2026, 11, 22, 9, 0, 0, 123456000, time.UTC)
	msg := &roster.Message{Kind: roster.MessageInvitation, CreatedAt: queued}
	sent := func(at time.Time) *roster.Invitation { return &roster.Invitation{SentAt: at} }
	for _, c := range []struct {
		name string
		inv  *roster.Invitation
		want bool
	}{
		{"the message's invitation", sent(queued), false},
		{"the same instant in another zone", sent(queued.In(time.FixedZone("CET", 3600))), false},
		{"issued again a microsecond later", sent(queued.Add(time.Microsecond)), true},
		{"issued again a week later", sent(queued.Add(7 * 24 * time.Hour)), true},
		{"no invitation", nil, false},
	} {
		if got := replaced(msg, c.inv); got != c.want {
			t.Errorf("%s: replaced = %v, want %v", c.name, got, c.want)
		}
	}
}
