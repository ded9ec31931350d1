package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/masterkey"
	"github.com/eiam/eiam/sqlstore"
	"github.com/eiam/eiam/storetest"
)

const quickstartFile = "../../examples/quickstart.json"

// syncBuffer is an io.Writer safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// env is a getenv with only the given variables, so the tests do not
// depend on the environment they run in.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// runCmd runs the program to completion and returns its output.
func runCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), append([]string{"eiam"}, args...), env(), &out, &errOut)
	return out.String(), errOut.String(), err
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

func TestServe(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	debugAddr := ln.Addr().String()
	ln.Close()
	srv := startServer(t, "--database", "sqlite://"+filepath.Join(dir, "e.db"), "--debug-addr", debugAddr)
	base, stdout, stderr := srv.base, srv.stdout, srv.stderr
	if !strings.Contains(stdout.String(), "users:                 1 created") {
		t.Errorf("import summary missing from stdout:\n%s", stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "master.key")); err != nil {
		t.Errorf("master key not created beside the database: %v", err)
	}

	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("GET %s: no X-Request-Id", path)
		}
		return resp, string(b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, body := get("/healthz")
		if resp.StatusCode == http.StatusOK {
			if strings.TrimSpace(body) != `{"status":"ok"}` {
				t.Errorf("healthz body %q", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthz: %d", resp.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if resp, _ := get("/no-such-route"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown route: %d", resp.StatusCode)
	}
	// One profile update through a door: one group commit of one write.
	// (The quick-start import is a bulk write, which group commit does not
	// count.)
	c := &client{t: t, base: base}
	c.signIn()
	writers["alibaba-dev"](c, "zhangsan", "33")
	resp, body := get("/metrics")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"# TYPE go_goroutines gauge", "process_start_time_seconds",
		`eiam_http_requests_total{method="GET",route="GET /healthz",status="200"}`,
		"eiam_store_commits_total 1\n", "eiam_store_committed_writes_total 1\n", "eiam_store_queued_writes 0\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	// The profiler answers on --debug-addr, and only there.
	if resp, err := http.Get("http://" + debugAddr + "/debug/pprof/"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("profiler on --debug-addr: %v, %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if resp, _ := get("/debug/pprof/"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("profiler on the public address: %d; want 404", resp.StatusCode)
	}

	if err := srv.stop(t); err != nil {
		t.Fatalf("run after cancel: %v", err)
	}
	logs := stderr.String()
	for _, want := range []string{`"msg":"http request"`, `"msg":"shutting down"`, `"msg":"stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s", want)
		}
	}
}

// testDB is one database the import tests run against: its --database
// value and a master key file for it.
type testDB struct {
	url, keyFile string
}

// eachDatabase runs fn against a fresh SQLite file and, as storetest.Each
// does, a fresh PostgreSQL schema.
func eachDatabase(t *testing.T, fn func(t *testing.T, db testDB)) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		fn(t, testDB{url: "sqlite://" + filepath.Join(dir, "e.db"), keyFile: filepath.Join(dir, "master.key")})
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, testDB{url: storetest.PostgresDSN(t), keyFile: filepath.Join(t.TempDir(), "master.key")})
	})
}

func (db testDB) flags() []string {
	return []string{"--database", db.url, "--master-key-file", db.keyFile}
}

// open opens the test's database directly, to look at what run wrote.
func (db testDB) open(t *testing.T) *sqlstore.Store {
	t.Helper()
	key, _, err := masterkey.Load(db.keyFile, false)
	if err != nil {
		t.Fatal(err)
	}
	f := newFlagSet("test", "", io.Discard)
	c := f.common(true)
	if err := f.parse(db.flags(), env()); err != nil {
		t.Fatal(err)
	}
	parsed, err := c.parseDatabase()
	if err != nil {
		t.Fatal(err)
	}
	s, err := openStore(context.Background(), parsed, key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func countEvents(t *testing.T, s eiam.Store) int {
	t.Helper()
	evs, err := s.ListEvents(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func TestImportTwice(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db testDB) {
		args := append(append([]string{"import"}, db.flags()...), quickstartFile)
		out, errOut, err := runCmd(t, args...)
		if err != nil {
			t.Fatalf("first import: %v\n%s", err, errOut)
		}
		if !strings.Contains(out, "users:                 1 created") {
			t.Errorf("first import output:\n%s", out)
		}
		s := db.open(t)
		ctx := context.Background()
		audit, err := s.ListAudit(ctx, "idaas_example01", "user_zhangsan")
		if err != nil || len(audit) != 1 {
			t.Fatalf("audit after the first import: %d records (%v)", len(audit), err)
		}
		events := countEvents(t, s)

		// The second one with the profiler, which an import serves too.
		out, errOut, err = runCmd(t, append([]string{"import", "--debug-addr", "127.0.0.1:0"}, args[1:]...)...)
		if err != nil {
			t.Fatalf("second import: %v\n%s", err, errOut)
		}
		if !strings.Contains(errOut, "profiler listening") {
			t.Errorf("import --debug-addr did not start the profiler:\n%s", errOut)
		}
		if !strings.Contains(out, "no changes: everything in "+quickstartFile+" is already applied") {
			t.Errorf("second import output:\n%s", out)
		}
		if audit, _ := s.ListAudit(ctx, "idaas_example01", "user_zhangsan"); len(audit) != 1 {
			t.Errorf("second import added audit records: %d", len(audit))
		}
		if n := countEvents(t, s); n != events {
			t.Errorf("second import added events: %d, was %d", n, events)
		}
	})
}

const badFile = `{
  "instances": [{
    "id": "idaas_bad", "name": "Bad Co",
    "custom_fields": [{"name": "age", "data_type": "number"}],
    "users": [
      {"username": "alice", "email": "alice@example.com", "email_verified": true},
      {"username": "bob", "email": "bob-at-example.com"},
      {"username": "carol", "custom_fields": {"shoe_size": "42"}},
      {"username": "Alice"}
    ]
  }]
}`

func TestImportBadFileWritesNothing(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db testDB) {
		file := filepath.Join(t.TempDir(), "bad.json")
		if err := os.WriteFile(file, []byte(badFile), 0o600); err != nil {
			t.Fatal(err)
		}
		out, errOut, err := runCmd(t, append(append([]string{"import"}, db.flags()...), file)...)
		if err == nil {
			t.Fatalf("bad file imported:\n%s", out)
		}
		if !strings.Contains(err.Error(), "3 problem(s) found; nothing was written") {
			t.Errorf("error: %v", err)
		}
		for _, want := range []string{
			"instances[0].users[1].email: Parameter email is not a valid email address.",
			"instances[0].users[2].custom_fields.shoe_size: Custom field custom_fields.shoe_size is not defined in this instance.",
			`instances[0].users[3].username: "Alice" is also used by instances[0].users[0]`,
		} {
			if !strings.Contains(errOut, want) {
				t.Errorf("output lacks %q", want)
			}
		}
		if t.Failed() {
			t.Logf("stderr:\n%s", errOut)
		}
		s := db.open(t)
		ctx := context.Background()
		if _, err := s.GetInstance(ctx, "idaas_bad"); eiam.ErrorCode(err) != eiam.ErrNotFound {
			t.Errorf("instance written: %v", err)
		}
		for _, name := range []string{"alice", "bob", "carol"} {
			if _, err := s.LookupUser(ctx, "idaas_bad", eiam.UsernameClaim(name)); eiam.ErrorCode(err) != eiam.ErrNotFound {
				t.Errorf("user %s written: %v", name, err)
			}
		}
		if n := countEvents(t, s); n != 0 {
			t.Errorf("%d events written", n)
		}
	})
}

func TestVersion(t *testing.T) {
	out, _, err := runCmd(t, "version")
	if err != nil || !strings.HasPrefix(out, "eiam ") || !strings.Contains(out, "go1.") {
		t.Errorf("version: %q %v", out, err)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"serve", "--help"}, {"migrate", "-h"}, {"import", "--help"}, {"help", "serve"}} {
		out, errOut, err := runCmd(t, args...)
		if !errors.Is(err, flag.ErrHelp) && err != nil {
			t.Errorf("%v: %v", args, err)
		}
		text := out + errOut
		if !strings.Contains(text, "Usage") {
			t.Errorf("%v: no usage in %q", args, text)
		}
		if args[0] == "serve" || (len(args) > 1 && args[1] == "serve") {
			for _, want := range []string{"--addr", "EIAM_ADDR", "127.0.0.1:8080", "EIAM_DATABASE", "EIAM_PUBLIC_URL", "EIAM_MASTER_KEY_FILE", "-log-format", "-import"} {
				if !strings.Contains(text, strings.TrimPrefix(want, "-")) {
					t.Errorf("serve help lacks %q", want)
				}
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"no command", nil, nil, "no command"},
		{"unknown command", []string{"frobnicate"}, nil, `unknown command "frobnicate"`},
		{"bad log format", []string{"serve", "--log-format", "xml"}, nil, `invalid value "xml" for --log-format`},
		{"bad log level from env", []string{"migrate"}, []string{"EIAM_LOG_LEVEL", "loud"}, `invalid value "loud" for EIAM_LOG_LEVEL`},
		{"bad database", []string{"migrate", "--database", "mysql://x"}, nil, `invalid value "mysql://x" for --database`},
		{"bad database from env", []string{"migrate"}, []string{"EIAM_DATABASE", "eiam.db"}, `for EIAM_DATABASE`},
		{"bad addr", []string{"serve", "--addr", "8080"}, nil, `invalid value "8080" for --addr`},
		{"bad public url", []string{"serve", "--public-url", "iam.example.com"}, nil, `for --public-url`},
		{"bad trusted proxies", []string{"serve", "--trusted-proxies", "10.0.0.0/99"}, nil, `for --trusted-proxies`},
		{"flag beats env", []string{"serve", "--addr", "nope"}, []string{"EIAM_ADDR", "127.0.0.1:0"}, `invalid value "nope" for --addr`},
		{"weak argon2id", []string{"serve", "--argon2id", "m=1024,t=1,p=1"}, nil, `for --argon2id: argon2id memory must be at least`},
		{"bad argon2id from env", []string{"serve"}, []string{"EIAM_ARGON2ID", "fast"}, `for EIAM_ARGON2ID`},
		{"bad debug addr", []string{"serve", "--debug-addr", "6060"}, nil, `invalid value "6060" for --debug-addr`},
		{"keys without subcommand", []string{"keys"}, nil, "list or rotate"},
		{"keys bad publish-ahead", []string{"keys", "rotate", "--publish-ahead", "soon"}, nil, `for --publish-ahead`},
		{"import without file", []string{"import"}, nil, "exactly one FILE"},
		{"unknown flag", []string{"serve", "--adr", "x"}, nil, "flag provided but not defined: -adr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), append([]string{"eiam"}, tt.args...), env(tt.env...), io.Discard, io.Discard)
			var ue *usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want a usage error containing %q", err, tt.want)
			}
		})
	}
}

func TestDatabaseURLs(t *testing.T) {
	tests := []struct{ in, path, dsn string }{
		{"sqlite://eiam.db", "eiam.db", ""},
		{"sqlite:///var/lib/eiam/eiam.db", "/var/lib/eiam/eiam.db", ""},
		{"sqlite://data/e.db", "data/e.db", ""},
		{"postgres://u@h:5432/db?sslmode=disable", "", "postgres://u@h:5432/db?sslmode=disable"},
		{"postgresql://u@h/db", "", "postgresql://u@h/db"},
	}
	for _, tt := range tests {
		c := &common{database: &setting{name: "database", value: tt.in, source: "--database"}, masterKey: &setting{}}
		db, err := c.parseDatabase()
		if err != nil || db.path != tt.path || db.dsn != tt.dsn {
			t.Errorf("%s: %+v %v", tt.in, db, err)
		}
		wantKey := "master.key"
		if tt.path != "" {
			wantKey = filepath.Join(filepath.Dir(tt.path), "master.key")
		}
		if got := c.masterKeyPath(db); got != wantKey {
			t.Errorf("%s: master key %s, want %s", tt.in, got, wantKey)
		}
	}
}

// TestKeysRotate: rotation publishes the new key before it signs and keeps
// the old one until its tokens have expired; a missing master key is an
// error, never a new key.
func TestKeysRotate(t *testing.T) {
	dir := t.TempDir()
	db := testDB{url: "sqlite://" + filepath.Join(dir, "e.db"), keyFile: filepath.Join(dir, "master.key")}
	if _, stderr, err := runCmd(t, append([]string{"import"}, append(db.flags(), quickstartFile)...)...); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	keys := func(args ...string) []string {
		t.Helper()
		out, stderr, err := runCmd(t, append(append([]string{"keys"}, args...), db.flags()...)...)
		if err != nil {
			t.Fatalf("keys %v: %v\n%s", args, err, stderr)
		}
		return strings.Split(strings.TrimSpace(out), "\n")
	}
	if got := keys("list"); len(got) != 1 {
		t.Fatalf("keys list of a fresh database: %q, want only the header", got)
	}
	first := keys("rotate")
	if len(first) != 3 || !strings.Contains(first[0], "signing from") {
		t.Fatalf("first rotate: %q", first)
	}
	out := keys("rotate")
	if len(out) != 4 {
		t.Fatalf("second rotate: %q, want two keys", out)
	}
	oldRow, newRow := strings.Fields(out[2]), strings.Fields(out[3])
	if oldRow[4] == "-" || newRow[4] != "-" {
		t.Fatalf("after rotation the old key must retire and the new must not: %q", out)
	}
	signsFrom, _ := time.Parse(time.RFC3339, newRow[3])
	if until := time.Until(signsFrom); until < 50*time.Minute {
		t.Fatalf("the new key signs in %v; want it published about an hour first", until)
	}

	// A server signs with the old key and publishes both.
	srv := startServer(t, db.flags()...)
	defer srv.stop(t)
	resp, err := http.Get(srv.base + "/instances/" + qsInstance + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var jwks struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&jwks); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(jwks.Keys) != 2 {
		t.Fatalf("JWKS publishes %d keys, want both", len(jwks.Keys))
	}
	c := &client{t: t, base: srv.base}
	c.signIn()
	header, _, _ := strings.Cut(c.authingTok, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(header)
	if !strings.Contains(string(raw), `"`+oldRow[0]+`"`) {
		t.Fatalf("token header %s: want it signed by the active key %s", raw, oldRow[0])
	}

	_, stderr, err := runCmd(t, "keys", "rotate", "--database", db.url, "--master-key-file", filepath.Join(dir, "missing.key"))
	if err == nil || !strings.Contains(stderr+err.Error(), "master key") {
		t.Fatalf("rotate without the master key: %v %s", err, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.key")); !os.IsNotExist(err) {
		t.Fatal("keys rotate created a master key")
	}
}
