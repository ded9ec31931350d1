package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/eiam/eiam/sqlstore"
	"github.com/eiam/eiam/storetest"
)

// TestShort runs the benchmark on 10^4 users of each store for its
// checks, not its timings: every look-up finds its user, every page of a
// prefix search holds only users with the prefix, every update succeeds.
func TestShort(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 10^4 users")
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		open func(testing.TB) *sqlstore.Store
	}{
		{"sqlite", func(tb testing.TB) *sqlstore.Store { return storetest.OpenSQLite(tb) }},
		{"postgres", func(tb testing.TB) *sqlstore.Store { return storetest.OpenPostgres(tb) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			big, small := tc.open(t), tc.open(t)
			if err := fill(ctx, big, "idaas_bench", 10000); err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			c := config{samples: 200, targets: 5000, duration: 500 * time.Millisecond, clients: 4, rounds: 1, out: &out}
			if err := c.run(ctx, big, "idaas_bench", small); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			for _, want := range []string{"10000 users in idaas_bench", "find by email", "display-name prefix, page after a cursor", "ratio 10000 users / 1000 users"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("report lacks %q:\n%s", want, out.String())
				}
			}
			t.Logf("\n%s", out.String())
		})
	}
}
