// Command bench is eiam's load benchmark. It builds eiam and its durable
// floor (./floor), starts each as a server of its own on a fresh store
// holding the same users, signs users in through the vendors' sign-in
// endpoints, and then, in rounds, drives profile updates through each seed
// API of eiam and the same number of plain row updates through the floor,
// alternately, at a fixed concurrency for a fixed time. It prints
// requests/s, latency percentiles and errors of every run, and the ratio
// eiam/floor, which stays comparable on a noisy machine where absolute
// figures do not.
//
//	go run ./bench                          # SQLite, every dialect, 3 rounds of 10 s
//	go run ./bench -store postgres -dsn postgres://postgres@127.0.0.1:5432/postgres
//	go run ./bench -dialect authing -c 16 -d 5s -rounds 1
//
// See docs/benchmarks.md.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// Config is one benchmark invocation.
type Config struct {
	// Store is "sqlite" or "postgres"; DSN names the PostgreSQL server
	// (any database on it: the benchmark creates and drops its own).
	Store, DSN string
	// Dialects to drive, in order.
	Dialects []string
	Users    int
	Clients  int
	Duration time.Duration
	Warmup   time.Duration
	Rounds   int
	// EiamBin and FloorBin, when set, are used instead of building.
	EiamBin, FloorBin string
	// Keep leaves the working directory (databases, logs) in place.
	Keep bool
	// ProfileDir, when set, receives a CPU profile of eiam for every
	// measured eiam run, taken through its --debug-addr.
	ProfileDir string
}

const usage = `Usage: go run ./bench [flags]

Runs eiam and its durable floor alternately under the same load and prints
requests/s, p50/p99/p99.9 latency, errors and the ratio eiam/floor.
See docs/benchmarks.md.

Flags:
`

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	defaultDSN := getenv("EIAM_BENCH_POSTGRES_DSN")
	if defaultDSN == "" {
		defaultDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	c := &Config{}
	fs.StringVar(&c.Store, "store", "sqlite", "store: sqlite or postgres")
	fs.StringVar(&c.DSN, "dsn", defaultDSN, "PostgreSQL server for -store postgres, as a postgres:// URL of a role that may create databases (env EIAM_BENCH_POSTGRES_DSN)")
	dialect := fs.String("dialect", "all", "dialect to drive: "+strings.Join(dialectNames(), ", ")+", all, or a comma-separated list")
	fs.IntVar(&c.Users, "users", 1000, "users in the directory")
	fs.IntVar(&c.Clients, "c", 64, "concurrent clients, each sending its next request when the last is answered")
	fs.DurationVar(&c.Duration, "d", 10*time.Second, "duration of each measured run")
	fs.DurationVar(&c.Warmup, "warmup", time.Second, "unmeasured load before each measured run")
	fs.IntVar(&c.Rounds, "rounds", 3, "rounds; each runs every dialect against eiam, then the floor")
	fs.StringVar(&c.EiamBin, "eiam-bin", "", "eiam binary to run (default: go build ./cmd/eiam)")
	fs.StringVar(&c.FloorBin, "floor-bin", "", "floor binary to run (default: go build ./bench/floor)")
	fs.BoolVar(&c.Keep, "keep", false, "keep the working directory with the databases and server logs")
	fs.StringVar(&c.ProfileDir, "cpuprofile", "", "write a CPU profile of eiam for each measured eiam run into this directory (eiam-DIALECT-ROUND.pprof; read with go tool pprof)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *dialect == "all" {
		c.Dialects = dialectNames()
	} else {
		for d := range strings.SplitSeq(*dialect, ",") {
			if !slices.Contains(dialectNames(), d) {
				return nil, fmt.Errorf("-dialect %q: want %s or all", d, strings.Join(dialectNames(), ", "))
			}
			c.Dialects = append(c.Dialects, d)
		}
	}
	switch {
	case c.Store != "sqlite" && c.Store != "postgres":
		return nil, fmt.Errorf("-store %q: want sqlite or postgres", c.Store)
	case c.Users < 1, c.Clients < 1, c.Rounds < 1, c.Duration <= 0, c.Warmup < 0:
		return nil, errors.New("-users, -c, -rounds and -d must be positive, -warmup not negative")
	}
	return c, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	rep, err := Bench(ctx, cfg, stdout)
	if err != nil {
		return err
	}
	rep.WriteSummary(stdout)
	return nil
}

// Run is one round of one dialect: eiam, then the floor, under the same
// load.
type Run struct {
	Round       int
	Dialect     string
	Eiam, Floor Result
}

// Throughput is eiam's requests/s over the floor's.
func (r Run) Throughput() float64 { return ratio(r.Eiam.RPS(), r.Floor.RPS()) }

// P99 is eiam's p99 latency over the floor's.
func (r Run) P99() float64 { return ratio(float64(r.Eiam.P99), float64(r.Floor.P99)) }

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Report is what one invocation measured.
type Report struct {
	Config *Config
	Runs   []Run
	// EiamPeakRSS and FloorPeakRSS are the servers' peak resident memory
	// in bytes over the whole benchmark (Linux: VmHWM); 0 where unknown.
	EiamPeakRSS, FloorPeakRSS int64
}

// Bench runs the benchmark described by cfg, printing progress and each
// run's figures to out.
func Bench(ctx context.Context, cfg *Config, out io.Writer) (rep *Report, err error) {
	dir, err := os.MkdirTemp("", "eiam-bench-")
	if err != nil {
		return nil, err
	}
	if cfg.Keep {
		fmt.Fprintf(out, "working directory (kept): %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	step := func(format string, args ...any) func() {
		began := time.Now()
		fmt.Fprintf(out, format, args...)
		return func() { fmt.Fprintf(out, " (%.1f s)\n", time.Since(began).Seconds()) }
	}

	eiamBin, floorBin := cfg.EiamBin, cfg.FloorBin
	if eiamBin == "" || floorBin == "" {
		done := step("building eiam and the floor")
		built, builtFloor, err := buildBinaries(ctx, dir)
		if err != nil {
			return nil, err
		}
		done()
		eiamBin, floorBin = cmp.Or(eiamBin, built), cmp.Or(floorBin, builtFloor)
	}

	if cfg.Store == "postgres" {
		if err := checkPostgres(ctx, cfg.DSN); err != nil {
			return nil, err
		}
	}
	dbs, err := newDatabases(ctx, cfg.Store, dir, cfg.DSN)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, dbs.drop()) }()

	signedIn := min(cfg.Clients, cfg.Users)
	importPath := filepath.Join(dir, "import.json")
	if err := writeImportFile(importPath, cfg.Users, signedIn); err != nil {
		return nil, err
	}
	keyFile := filepath.Join(dir, "master.key")
	done := step("importing %d users into eiam (%s)", cfg.Users, cfg.Store)
	if err := runCommand(ctx, eiamBin, dir, "import", "--database", dbs.eiam, "--master-key-file", keyFile, "--log-format", "json", importPath); err != nil {
		return nil, err
	}
	done()

	eiamArgs := []string{"serve", "--addr", "127.0.0.1:0", "--database", dbs.eiam, "--master-key-file", keyFile, "--log-format", "json"}
	var debugAddr string
	if cfg.ProfileDir != "" {
		if err := os.MkdirAll(cfg.ProfileDir, 0o755); err != nil {
			return nil, err
		}
		if debugAddr, err = freeAddr(); err != nil {
			return nil, err
		}
		eiamArgs = append(eiamArgs, "--debug-addr", debugAddr)
	}
	eiam, err := startProcess(ctx, "eiam", eiamBin, dir, filepath.Join(dir, "eiam.log"), eiamArgs...)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, eiam.stop()) }()
	floor, err := startProcess(ctx, "floor", floorBin, dir, filepath.Join(dir, "floor.log"),
		"-addr", "127.0.0.1:0", "-database", dbs.floor, "-users", fmt.Sprint(cfg.Users))
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, floor.stop()) }()

	targets := map[string]target{}
	for _, d := range dialects {
		if !slices.Contains(cfg.Dialects, d.name) {
			continue
		}
		what := "taking a token"
		if d.selfService {
			what = fmt.Sprintf("signing %d users in", signedIn)
		}
		done := step("%s: %s", d.name, what)
		t, err := d.prepare(ctx, eiam.base, signedIn, cfg.Users)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
		done()
		targets[d.name] = t
	}
	floorT := floorTarget(floor.base, cfg.Users)

	fmt.Fprintf(out, "\n%s, %d users, %d clients, %s per run (after %s of warm-up), %d round(s)\n",
		cfg.Store, cfg.Users, cfg.Clients, cfg.Duration, cfg.Warmup, cfg.Rounds)
	rep = &Report{Config: cfg}
	measure := func(t target, profile string) Result {
		if cfg.Warmup > 0 {
			load(ctx, t, cfg.Clients, cfg.Warmup)
		}
		if profile == "" {
			return load(ctx, t, cfg.Clients, cfg.Duration)
		}
		profiled := make(chan error, 1)
		go func() { profiled <- cpuProfile(ctx, debugAddr, cfg.Duration, profile) }()
		res := load(ctx, t, cfg.Clients, cfg.Duration)
		if err := <-profiled; err != nil {
			fmt.Fprintf(out, "  (no profile: %v)\n", err)
		}
		return res
	}
	for round := 1; round <= cfg.Rounds; round++ {
		fmt.Fprintf(out, "\nround %d\n", round)
		for _, name := range cfg.Dialects {
			r := Run{Round: round, Dialect: name}
			var profile string
			if cfg.ProfileDir != "" {
				profile = filepath.Join(cfg.ProfileDir, fmt.Sprintf("eiam-%s-%d.pprof", name, round))
			}
			r.Eiam = measure(targets[name], profile)
			r.Floor = measure(floorT, "")
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			writeRun(out, r)
			rep.Runs = append(rep.Runs, r)
		}
	}
	rep.EiamPeakRSS, rep.FloorPeakRSS = peakRSS(eiam.cmd.Process.Pid), peakRSS(floor.cmd.Process.Pid)
	return rep, nil
}

func writeRun(out io.Writer, r Run) {
	for _, res := range []struct {
		who string
		Result
	}{{"eiam", r.Eiam}, {"floor", r.Floor}} {
		fmt.Fprintf(out, "  %-12s %-5s %6.0f req/s  p50 %8s  p99 %8s  p99.9 %8s  %d errors\n",
			r.Dialect, res.who, res.RPS(), ms(res.P50), ms(res.P99), ms(res.P999), res.Errors)
		for _, e := range res.FirstErrors {
			fmt.Fprintf(out, "    %s error: %s\n", res.who, e)
		}
	}
	fmt.Fprintf(out, "  %-12s eiam/floor: throughput %.2f, p99 %.2f\n", r.Dialect, r.Throughput(), r.P99())
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

// Summary is one dialect's figures over every round: medians, and the sum
// of errors.
type Summary struct {
	Dialect                    string
	EiamRPS, FloorRPS          float64
	EiamP50, EiamP99, EiamP999 time.Duration
	FloorP50, FloorP99         time.Duration
	Throughput, P99            float64
	EiamErrors, FloorErrors    int
	EiamRequests               int
}

// Summaries are the per-dialect medians over the rounds, in run order.
func (r *Report) Summaries() []Summary {
	var out []Summary
	for _, name := range r.Config.Dialects {
		var runs []Run
		for _, run := range r.Runs {
			if run.Dialect == name {
				runs = append(runs, run)
			}
		}
		if len(runs) == 0 {
			continue
		}
		s := Summary{Dialect: name}
		s.EiamRPS = median(runs, func(r Run) float64 { return r.Eiam.RPS() })
		s.FloorRPS = median(runs, func(r Run) float64 { return r.Floor.RPS() })
		s.EiamP50 = time.Duration(median(runs, func(r Run) float64 { return float64(r.Eiam.P50) }))
		s.EiamP99 = time.Duration(median(runs, func(r Run) float64 { return float64(r.Eiam.P99) }))
		s.EiamP999 = time.Duration(median(runs, func(r Run) float64 { return float64(r.Eiam.P999) }))
		s.FloorP50 = time.Duration(median(runs, func(r Run) float64 { return float64(r.Floor.P50) }))
		s.FloorP99 = time.Duration(median(runs, func(r Run) float64 { return float64(r.Floor.P99) }))
		s.Throughput = median(runs, Run.Throughput)
		s.P99 = median(runs, Run.P99)
		for _, run := range runs {
			s.EiamErrors += run.Eiam.Errors
			s.FloorErrors += run.Floor.Errors
		}
		out = append(out, s)
	}
	return out
}

func median(runs []Run, f func(Run) float64) float64 {
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if n := len(v); n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[len(v)/2]
}

// WriteSummary prints the medians over the rounds as a table.
func (r *Report) WriteSummary(out io.Writer) {
	c := r.Config
	fmt.Fprintf(out, "\nmedian of %d round(s): %s, %d users, %d clients, %s per run\n", c.Rounds, c.Store, c.Users, c.Clients, c.Duration)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	// The first column is padded here, so that it reads left-aligned.
	fmt.Fprintln(tw, "dialect     \teiam req/s\tfloor req/s\teiam/floor\teiam p50\teiam p99\teiam p99.9\tfloor p50\tfloor p99\tp99 eiam/floor\terrors\t")
	for _, s := range r.Summaries() {
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.2f\t%s\t%s\t%s\t%s\t%s\t%.2f\t%d\t\n", fmt.Sprintf("%-12s", s.Dialect), s.EiamRPS, s.FloorRPS, s.Throughput,
			ms(s.EiamP50), ms(s.EiamP99), ms(s.EiamP999), ms(s.FloorP50), ms(s.FloorP99), s.P99, s.EiamErrors+s.FloorErrors)
	}
	tw.Flush()
	if r.EiamPeakRSS > 0 {
		fmt.Fprintf(out, "peak resident memory: eiam %s, floor %s\n", memory(r.EiamPeakRSS), memory(r.FloorPeakRSS))
	}
}

// memory is a size in both MiB and MB: targets are written in either.
func memory(b int64) string {
	return fmt.Sprintf("%.1f MiB (%.1f MB)", float64(b)/(1<<20), float64(b)/1e6)
}
