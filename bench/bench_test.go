package main

import (
	"context"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eiam/eiam/storetest"
)

// TestSmoke runs the whole benchmark briefly at low concurrency — build,
// import, sign-ins, every dialect against eiam and the floor — on SQLite
// and, when EIAM_TEST_POSTGRES_DSN is set (always in CI), on PostgreSQL.
// It asserts that nothing failed and that every dialect and the floor
// made progress; it never asserts a timing.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs eiam; skipped with -short")
	}
	ctx := context.Background()
	eiamBin, floorBin, err := buildBinaries(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	stores := map[string]string{"sqlite": ""}
	switch dsn := os.Getenv(storetest.EnvPostgresDSN); {
	case dsn != "":
		stores["postgres"] = dsn
	case os.Getenv("CI") == "true":
		t.Errorf("%s is not set: CI must run the benchmark on PostgreSQL too", storetest.EnvPostgresDSN)
	default:
		t.Logf("%s is not set; PostgreSQL is not benchmarked", storetest.EnvPostgresDSN)
	}
	for store, dsn := range stores {
		t.Run(store, func(t *testing.T) {
			cfg := &Config{
				Store: store, DSN: dsn, Dialects: dialectNames(),
				Users: 20, Clients: 3, Duration: time.Second, Rounds: 1,
				EiamBin: eiamBin, FloorBin: floorBin,
			}
			var out logWriter
			rep, err := Bench(ctx, cfg, &out)
			if err != nil {
				t.Fatalf("bench: %v\noutput:\n%s", err, out.String())
			}
			for _, name := range dialectNames() {
				n := 0
				for _, r := range rep.Runs {
					if r.Dialect != name {
						continue
					}
					n++
					for who, res := range map[string]Result{"eiam": r.Eiam, "floor": r.Floor} {
						if res.Errors != 0 {
							t.Errorf("%s, %s: %d errors, first: %s", name, who, res.Errors, strings.Join(res.FirstErrors, "\n"))
						}
						if res.Requests == 0 {
							t.Errorf("%s, %s: no request succeeded", name, who)
						}
					}
				}
				if n != 1 {
					t.Errorf("%s: %d runs, want 1", name, n)
				}
			}
			if runtime.GOOS == "linux" && (rep.EiamPeakRSS < 1<<20 || rep.FloorPeakRSS < 1<<20) {
				t.Errorf("peak resident memory: eiam %d bytes, floor %d; want each read from /proc", rep.EiamPeakRSS, rep.FloorPeakRSS)
			}
			if t.Failed() {
				t.Logf("output:\n%s", out.String())
			}
		})
	}
}

// TestFlags checks the command line: defaults, dialect lists, bad values.
func TestFlags(t *testing.T) {
	env := func(string) string { return "" }
	cfg, err := parseFlags(nil, env, &logWriter{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store != "sqlite" || cfg.Users != 1000 || cfg.Clients != 64 || cfg.Duration != 10*time.Second ||
		cfg.Rounds != 3 || strings.Join(cfg.Dialects, ",") != "authing,alibaba-dev,alibaba-rpc,bamboo" {
		t.Errorf("defaults: %+v", cfg)
	}
	cfg, err = parseFlags([]string{"-dialect", "bamboo,authing", "-store", "postgres"}, env, &logWriter{})
	if err != nil || strings.Join(cfg.Dialects, ",") != "bamboo,authing" || cfg.Store != "postgres" {
		t.Errorf("-dialect bamboo,authing -store postgres: %+v, %v", cfg, err)
	}
	for _, args := range [][]string{
		{"-dialect", "okta"}, {"-store", "mysql"}, {"-c", "0"}, {"-d", "0s"}, {"-rounds", "0"}, {"extra"},
	} {
		if _, err := parseFlags(args, env, &logWriter{}); err == nil {
			t.Errorf("%q: accepted", args)
		}
	}
}

// TestQuantile checks the nearest-rank percentiles the report prints.
func TestQuantile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 1000; i++ {
		d = append(d, time.Duration(i))
	}
	for q, want := range map[float64]time.Duration{0.5: 500, 0.99: 990, 0.999: 999, 1: 1000} {
		if got := quantile(d, q); got != want {
			t.Errorf("quantile(1…1000, %v) = %d, want %d", q, got, want)
		}
	}
	if got := quantile(nil, 0.99); got != 0 {
		t.Errorf("quantile of nothing = %d, want 0", got)
	}
	if got := quantile([]time.Duration{7}, 0.5); got != 7 {
		t.Errorf("quantile of one = %d, want 7", got)
	}
}

// logWriter collects output safely.
type logWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *logWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
