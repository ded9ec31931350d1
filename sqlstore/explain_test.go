package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/sqlstore"
	"github.com/eiam/eiam/storetest"
)

// plan returns the database's plan of query, one line per step. On
// PostgreSQL sequential scans and sorts are disabled, so that the plan
// shows an index that serves the query if there is one, however few rows
// the tables hold.
func plan(t *testing.T, s *sqlstore.Store, query string, args ...any) string {
	t.Helper()
	ctx := context.Background()
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	explain := "EXPLAIN QUERY PLAN "
	if s.DialectName() == "postgres" {
		explain = "EXPLAIN "
		for _, set := range []string{"SET enable_seqscan = off"} {
			if _, err := conn.ExecContext(ctx, set); err != nil {
				t.Fatal(err)
			}
		}
		defer conn.ExecContext(ctx, "RESET ALL")
	}
	rows, err := conn.QueryContext(ctx, explain+s.Rebind(query), args...)
	if err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprint(vals[len(vals)-1]))
	}
	return strings.Join(lines, "\n")
}

// TestQueriesUseIndexes checks, with each database's EXPLAIN, that every
// query of a page, a count, a look-up by a unique value and a batch of
// look-ups reads an index range rather than the instance's users: what
// keeps them fast at a million users.
func TestQueriesUseIndexes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, es eiam.Store) {
		s := es.(*sqlstore.Store)
		const inst = "idaas_x"
		seed(t, s, inst, 3000)
		pg := s.DialectName() == "postgres"
		// want lists what the plan must show, on SQLite or PostgreSQL.
		type want struct{ sqlite, postgres []string }
		byUsername := want{[]string{"users_by_username (instance_id=?"}, []string{"Index Scan using users_by_username"}}
		byClaim := want{
			[]string{"USING PRIMARY KEY (instance_id=? AND kind=? AND value=?)", "sqlite_autoindex_users_1 (instance_id=? AND id=?)"},
			[]string{"user_claims_pkey", "(kind = 'email'::text) AND (value = 'a@example.com'::text)", "users_pkey"},
		}
		check := func(name, query string, args []any, w want, ordered bool) {
			t.Helper()
			p := plan(t, s, query, args...)
			must, mustNot := w.sqlite, []string{"\nSCAN ", "TEMP B-TREE"}
			if pg {
				must, mustNot = w.postgres, []string{"Seq Scan", "Filter:", "Sort"}
			}
			if !ordered {
				mustNot = mustNot[:len(mustNot)-1] // a sort of a handful of rows is fine
			}
			p = "\n" + p
			for _, m := range must {
				if !strings.Contains(p, m) {
					t.Errorf("%s: plan lacks %q:%s", name, m, p)
				}
			}
			for _, m := range mustNot {
				if strings.Contains(p, m) {
					t.Errorf("%s: plan has %q:%s", name, m, p)
				}
			}
		}
		for _, tc := range []struct {
			name        string
			q           eiam.UserQuery
			page, count want
			ordered     bool // the page is read in index order, not sorted
		}{
			{"list", eiam.UserQuery{}, byUsername, want{}, true},
			{"list after a cursor", eiam.UserQuery{After: next(t, s, inst, eiam.UserQuery{})},
				want{[]string{"users_by_username (instance_id=? AND (username_norm,id)>(?,?))"},
					[]string{"users_by_username", "ROW(username_norm, id) > ROW("}}, want{}, true},
			{"username prefix", eiam.UserQuery{UsernamePrefix: "U001", WithTotal: true},
				want{[]string{"users_by_username (instance_id=? AND username_norm>? AND username_norm<?)"},
					[]string{"users_by_username", "(username_norm >= 'u001'::text) AND (username_norm < 'u002'::text)"}},
				want{[]string{"COVERING INDEX users_by_username (instance_id=? AND username_norm>? AND username_norm<?)"},
					[]string{"Index Only Scan using users_by_username"}}, true},
			{"display name prefix", eiam.UserQuery{DisplayNamePrefix: "user 001", WithTotal: true},
				want{[]string{"users_by_display_name (instance_id=? AND display_name_norm>? AND display_name_norm<?)"},
					[]string{"users_by_display_name", "(display_name_norm >= 'user 001'::text)"}},
				want{[]string{"COVERING INDEX users_by_display_name"}, []string{"Index Only Scan using users_by_display_name"}}, true},
			{"display name prefix after a cursor", eiam.UserQuery{DisplayNamePrefix: "user",
				After: next(t, s, inst, eiam.UserQuery{DisplayNamePrefix: "user"})},
				want{[]string{"users_by_display_name (instance_id=? AND (display_name_norm,id)>(?,?) AND display_name_norm<?)"},
					[]string{"users_by_display_name", "ROW(display_name_norm, id) > ROW("}}, want{}, true},
			{"claim", eiam.UserQuery{Claim: &eiam.Claim{Kind: eiam.ClaimEmail, Value: "a@example.com"}, WithTotal: true},
				byClaim, byClaim, false},
			{"ids", eiam.UserQuery{IDs: manyIDs(30), WithTotal: true},
				want{[]string{"sqlite_autoindex_users_1 (instance_id=? AND id=?)"}, []string{"users_pkey", "id = ANY"}},
				want{[]string{"sqlite_autoindex_users_1 (instance_id=? AND id=?)"}, []string{"users_pkey", "id = ANY"}}, false},
		} {
			page, pargs, count, cargs, err := sqlstore.ListUsersSQL(inst, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			check(tc.name, page, pargs, tc.page, tc.ordered)
			if tc.q.WithTotal {
				check(tc.name+" (count)", count, cargs, tc.count, false)
			}
		}
		check("LookupUser", sqlstore.LookupUserQuery, []any{inst, "email", "a@example.com"}, byClaim, false)
		check("ClaimHolders", sqlstore.ClaimHoldersQuery(2), []any{inst, "email", "a@example.com", "b@example.com"},
			want{[]string{"USING PRIMARY KEY (instance_id=? AND kind=? AND value=?)"},
				[]string{"user_claims_pkey", "(value = ANY ('{a@example.com,b@example.com}'::text[]))"}}, false)
	})
}

// seed stores n users in each of two instances. On PostgreSQL it refreshes
// the planner's statistics, as autovacuum does in a real directory; SQLite
// has none unless someone runs ANALYZE, which eiam does not.
func seed(t *testing.T, s *sqlstore.Store, inst string, n int) {
	t.Helper()
	ctx := context.Background()
	for _, id := range []string{inst, inst + "_other"} {
		if _, err := s.PutInstance(ctx, &eiam.Instance{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
		in, err := s.GetInstance(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var cs []*eiam.Commit
		for i := range n {
			u := &eiam.User{InstanceID: id, ID: eiam.NewID("user"), Version: 1, Status: eiam.StatusEnabled,
				Attrs: map[eiam.Attribute]string{
					eiam.AttrUsername: fmt.Sprintf("u%05d", i), eiam.AttrDisplayName: fmt.Sprintf("User %05d", i),
					eiam.AttrEmail: fmt.Sprintf("u%05d@example.com", i),
				},
				CustomFields: map[string][]string{}, PrimaryOUID: in.RootOUID}
			cs = append(cs, &eiam.Commit{User: u, Claims: []eiam.Claim{
				eiam.UsernameClaim(u.Username()), eiam.EmailClaim(u.Attrs[eiam.AttrEmail])}})
		}
		if err := s.CreateUsers(ctx, cs); err != nil {
			t.Fatal(err)
		}
	}
	if s.DialectName() == "postgres" {
		if _, err := s.DB().ExecContext(ctx, "ANALYZE"); err != nil {
			t.Fatal(err)
		}
	}
}

// next returns the cursor after the first page of q.
func next(t *testing.T, s *sqlstore.Store, inst string, q eiam.UserQuery) string {
	t.Helper()
	q.Limit = 5
	page, err := s.ListUsers(context.Background(), inst, q)
	if err != nil || page.Next == "" {
		t.Fatalf("first page of %+v: %v, %v", q, page, err)
	}
	return page.Next
}

// manyIDs returns n user ids: with ten or more, SQLite without statistics
// walked the ordering index of the whole instance rather than look them up.
func manyIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("user_%d", i)
	}
	return out
}
