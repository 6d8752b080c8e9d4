package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rosterhq/roster"
)

func testAudit(t *testing.T, s roster.Store) {
	a := NewAccount(t, s, "Acme", "bigeye")
	other := NewAccount(t, s, "Other", "bigeye")
	var mine []*roster.AuditEvent
	Write(t, s, "", func(tx roster.Tx) error {
		for i := range 11 {
			e := &roster.AuditEvent{
				AccountID: a.ID,
				At:        T0.Add(time.Duration(i) * time.Second),
				Actor:     fmt.Sprintf("actor-%d", i%3),
				Action:    roster.AuditMemberRoleChanged,
				Target:    fmt.Sprintf("target-%d", i),
				Before:    map[string]string{"role": "User"},
				After:     map[string]string{"role": "Admin", "note": `quotes " and 'unicode' ✓`, "markup": "<b>&amp;</b>", "nul": "a\x00b"},
				IP:        "192.0.2.7",
			}
			switch i {
			case 0: // an operator's change: no actor, no target, no IP, no maps
				e.Actor, e.Target, e.IP, e.Before, e.After = "", "", "", nil, nil
			case 1:
				e.Before = map[string]string{}
			}
			if err := tx.AppendAudit(e); err != nil {
				return err
			}
			mine = append(mine, e)
			// Interleave another account's events.
			if err := tx.AppendAudit(&roster.AuditEvent{AccountID: other.ID, At: e.At, Action: roster.AuditMemberInvited}); err != nil {
				return err
			}
		}
		return nil
	})
	for i := 1; i < len(mine); i++ {
		if mine[i].ID <= mine[i-1].ID {
			t.Fatalf("AppendAudit ids do not increase: %d after %d", mine[i].ID, mine[i-1].ID)
		}
	}

	want := slices.Clone(mine)
	slices.Reverse(want)
	for _, limit := range []int{1, 2, 5, 11, 12, roster.MaxPageSize} {
		var got []*roster.AuditEvent
		var after *roster.AuditCursor
		for pages := 0; ; pages++ {
			if pages > len(mine)+1 {
				t.Fatalf("ListAudit(limit %d): paging does not end", limit)
			}
			var page *roster.AuditPage
			Read(t, s, func(tx roster.Tx) error {
				var err error
				page, err = tx.ListAudit(a.ID, after, limit)
				return err
			})
			if len(page.Items) > limit || (page.Next != nil && len(page.Items) != limit) {
				t.Fatalf("ListAudit(limit %d) returned %d items, next %v", limit, len(page.Items), page.Next)
			}
			got = append(got, page.Items...)
			if page.Next == nil {
				break
			}
			c, err := roster.DecodeAuditCursor(page.Next.Encode())
			if err != nil {
				t.Fatalf("the store's audit cursor does not decode: %v", err)
			}
			after = &c
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("ListAudit(limit %d), newest first, mismatch (-want +got):\n%s", limit, diff)
		}
	}

	Read(t, s, func(tx roster.Tx) error {
		page, err := tx.ListAudit("no-such-account", nil, 10)
		if err != nil || len(page.Items) != 0 || page.Next != nil {
			t.Errorf("ListAudit(unknown account) = %+v, %v; want an empty page", page, err)
		}
		return nil
	})
}
