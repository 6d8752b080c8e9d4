package app_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/storetest"
	"github.com/rosterhq/roster/policy"
)

// BenchmarkCheckBatchCold measures a batch of 100 checks, each about a
// different member, when the account's cache holds none of them: as after
// any change to the account, which moves its version and so empties its
// cache. Before each batch, untimed, another member's role changes:
//
//	go test -run '^$' -bench CheckBatchCold -count=5 ./internal/app/
func BenchmarkCheckBatchCold(b *testing.B) {
	for _, st := range bulkStores {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			defer s.Close()
			ctx := context.Background()
			acc := storetest.NewAccount(b, s, "Acme", "bizmetry")
			owner := storetest.NewUserMember(b, s, acc, "Olive Owner", "Organization Manager", roster.StatusActive)
			p := roster.Principal{UserID: owner.UserID}
			other := storetest.NewUserMember(b, s, acc, "Oscar Other", "Developer", roster.StatusActive)
			a := app.New(app.Config{Store: s})
			checks := make([]app.Check, app.MaxBatchChecks)
			for i := range checks {
				m := storetest.NewUserMember(b, s, acc, fmt.Sprintf("Member %d", i), "Developer", roster.StatusActive)
				checks[i] = app.Check{User: m.UserID, Permission: "agents.configure"}
			}
			roles := []string{"SRE", "Developer"}
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				other.Role, other.RoleOrder = roles[i%2], storetest.RoleOrder(b, acc.Catalog, roles[i%2])
				storetest.Write(b, s, acc.ID, func(tx roster.Tx) error { return tx.UpdateMember(other) })
				b.StartTimer()
				res, err := a.CheckBatch(ctx, p, acc.ID, checks)
				if err != nil {
					b.Fatal(err)
				}
				if !res[0].Allowed || res[0].Code != policy.CheckGranted {
					b.Fatalf("check = %+v, want granted", res[0])
				}
			}
		})
	}
}
