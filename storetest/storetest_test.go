package storetest

import (
	"context"
	"os"
	"testing"

	"github.com/eiam/eiam"
)

// TestEach checks that Each hands each subtest a working store of its own.
func TestEach(t *testing.T) {
	var ran []string
	Each(t, func(t *testing.T, s eiam.Store) {
		ran = append(ran, t.Name())
		f := newFixture(t, s)
		f.create(t, f.user("each"))
		if err := s.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	want := 2
	if os.Getenv(EnvPostgresDSN) == "" {
		want = 1
	}
	if len(ran) != want {
		t.Errorf("Each ran %v; want sqlite and, with %s, postgres", ran, EnvPostgresDSN)
	}
}

func TestWithSearchPath(t *testing.T) {
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://u@h:5432/db?sslmode=disable", "postgres://u@h:5432/db?search_path=s1&sslmode=disable"},
		{"postgresql://u@h/db", "postgresql://u@h/db?search_path=s1"},
		{"host=h user=u dbname=db", "host=h user=u dbname=db search_path=s1"},
	} {
		if got := withSearchPath(tc.dsn, "s1"); got != tc.want {
			t.Errorf("withSearchPath(%q) = %q, want %q", tc.dsn, got, tc.want)
		}
	}
}
