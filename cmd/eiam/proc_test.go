package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eiam/eiam/masterkey"
	"github.com/eiam/eiam/postgres"
	"github.com/eiam/eiam/sqlite"
	"github.com/eiam/eiam/sqlstore"
	"github.com/eiam/eiam/storetest"
)

// The tests in crash_test.go and multiprocess_test.go run the real eiam
// binary as child processes, so that they can kill it with SIGKILL and run
// several of it on one database.

var (
	buildOnce   sync.Once
	builtBinary string
	buildErr    error
)

// eiamBinary builds cmd/eiam once per test binary and returns its path.
func eiamBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "eiam-proc-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBinary = filepath.Join(dir, "eiam")
		var out bytes.Buffer
		build := exec.Command("go", "build", "-o", builtBinary, ".")
		build.Stdout, build.Stderr = &out, &out
		if err := build.Run(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out.String())
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBinary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBinary != "" {
		os.RemoveAll(filepath.Dir(builtBinary))
	}
	os.Exit(code)
}

// procDB is a database the child processes share: its --database value and
// master key file.
type procDB struct {
	url, keyFile string
}

func (db procDB) flags() []string {
	return []string{"--database", db.url, "--master-key-file", db.keyFile}
}

// sqliteProcDB is a new SQLite file in a temporary directory.
func sqliteProcDB(t *testing.T) procDB {
	dir := t.TempDir()
	return procDB{url: "sqlite://" + filepath.Join(dir, "e.db"), keyFile: filepath.Join(dir, "master.key")}
}

// postgresProcDB is a new PostgreSQL database named prefix_<random>,
// dropped when the test ends.
func postgresProcDB(t *testing.T, prefix string) procDB {
	return procDB{url: storetest.PostgresDatabase(t, prefix), keyFile: filepath.Join(t.TempDir(), "master.key")}
}

// open opens the database directly, as a restarted server would, to look
// at what the processes wrote.
func (db procDB) open(t *testing.T) *sqlstore.Store {
	t.Helper()
	key, _, err := masterkey.Load(db.keyFile, false)
	if err != nil {
		t.Fatal(err)
	}
	var s *sqlstore.Store
	if path, ok := strings.CutPrefix(db.url, "sqlite://"); ok {
		s, err = sqlite.Open(context.Background(), path, key)
	} else {
		s, err = postgres.Open(context.Background(), db.url, key)
	}
	if err != nil {
		t.Fatalf("open %s: %v", db.url, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// importData runs `eiam import` of data (an import file's JSON) into db.
func importData(t *testing.T, db procDB, data any) {
	t.Helper()
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "data.json")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(eiamBinary(t), append(append([]string{"import"}, db.flags()...), file)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("eiam import: %v\n%s", err, out)
	}
}

// proc is one `eiam serve` child process.
type proc struct {
	cmd    *exec.Cmd
	base   string
	stderr *syncBuffer
	// exited is closed when the process has exited; err is then its
	// Wait error.
	exited chan struct{}
	err    error
	// killed records that the test killed it, so that any other exit is
	// seen as a crash.
	mu     sync.Mutex
	killed bool
}

// procPublicURL is the public URL of every child process. Tokens name
// their issuer by it, so it must not change when a server restarts on
// another port (or differ between replicas), just as in production.
const procPublicURL = "http://eiam.test"

// startProc starts `eiam serve` on db on a free loopback port and waits
// until it listens. The process is killed when the test ends if it still
// runs.
func startProc(t *testing.T, db procDB) *proc {
	t.Helper()
	p, err := launchProc(t, db)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// launchProc is startProc for any goroutine: it returns its error.
func launchProc(t *testing.T, db procDB) (*proc, error) {
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--public-url", procPublicURL,
		"--log-format", "json", "--log-level", "warn"}, db.flags()...)
	p := &proc{cmd: exec.Command(eiamBinary(t), args...), stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd.Stderr = p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() { p.kill(t) })
	select {
	case p.base = <-addr:
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("eiam serve exited before listening: %v\nstderr:\n%s", p.err, p.stderr)
	case <-time.After(60 * time.Second):
		return nil, fmt.Errorf("eiam serve did not listen within 60 s; stderr:\n%s", p.stderr)
	}
}

// kill sends SIGKILL and waits for the process to exit. It fails the test
// if the process had exited by itself before.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	already := p.killed
	p.killed = true
	p.mu.Unlock()
	if already {
		return
	}
	select {
	case <-p.exited:
		t.Errorf("eiam serve exited by itself: %v\nstderr:\n%s", p.err, p.stderr)
		return
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Errorf("kill: %v", err)
	}
	<-p.exited
}

// httpClient is the client of the process tests: enough idle connections
// for their concurrency, and a timeout so that a hung server fails the test
// instead of hanging it.
func newHTTPClient() *http.Client {
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 0, DisableCompression: true},
	}
}

// reply is the outcome of one request: err is set when no response came
// (connection refused or reset, timeout), else status and body are.
type reply struct {
	status int
	body   []byte
	err    error
}

func (r reply) String() string {
	if r.err != nil {
		return r.err.Error()
	}
	return fmt.Sprintf("HTTP %d %s", r.status, bytes.TrimSpace(r.body))
}

// json decodes the body as a JSON object; nil if it is not one.
func (r reply) json() map[string]any {
	var m map[string]any
	if json.Unmarshal(r.body, &m) != nil {
		return nil
	}
	return m
}

func send(c *http.Client, req *http.Request) reply {
	resp, err := c.Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{err: err}
	}
	return reply{status: resp.StatusCode, body: body}
}

// do sends one request with a JSON or form body (nil for none).
func do(c *http.Client, method, url string, body []byte, hdr map[string]string) reply {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return reply{err: err}
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return send(c, req)
}

// clientCredentials returns an access token of the Alibaba developer API
// for an application.
func clientCredentials(t *testing.T, c *http.Client, base, instanceID, appID, secret string) string {
	t.Helper()
	r := do(c, "POST", base+"/v2/"+instanceID+"/"+appID+"/oauth2/token?grant_type=client_credentials&client_id="+appID+"&client_secret="+secret, nil, nil)
	tok, _ := r.json()["access_token"].(string)
	if r.err != nil || r.status != 200 || tok == "" {
		t.Fatalf("client_credentials: %s", r)
	}
	return tok
}

// authingSignIn signs a user in through Authing's password sign-in and
// returns the user's access token.
func authingSignIn(t *testing.T, c *http.Client, base, appID, secret, username, password string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"connection": "PASSWORD", "client_id": appID, "client_secret": secret,
		"passwordPayload": map[string]string{"username": username, "password": password}})
	r := do(c, "POST", base+"/api/v3/signin", body, map[string]string{"x-authing-app-id": appID, "Content-Type": "application/json"})
	data, _ := r.json()["data"].(map[string]any)
	tok, _ := data["access_token"].(string)
	if r.err != nil || r.status != 200 || tok == "" {
		t.Fatalf("sign in %s: %s", username, r)
	}
	return tok
}
