package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// buildBinaries builds eiam and the floor into dir with the go command, so
// the benchmark measures the real server as it ships.
func buildBinaries(ctx context.Context, dir string) (eiamBin, floorBin string, err error) {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator),
		"github.com/eiam/eiam/cmd/eiam", "github.com/eiam/eiam/bench/floor")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return filepath.Join(dir, "eiam"), filepath.Join(dir, "floor"), nil
}

// writeImportFile writes an eiam import file with one instance, its
// application and custom fields, an access key, and n users, the first
// withPassword of which can sign in with benchPassword. (Only those get a
// password: hashing one takes tens of milliseconds by design.) Users are
// written one at a time, so that a million of them need little memory.
func writeImportFile(path string, n, withPassword int) (err error) {
	type obj = map[string]any
	file := obj{
		"instances": []obj{{
			"id": benchInstance, "name": "Benchmark Co",
			"custom_fields": []obj{
				{"name": customField, "data_type": "string", "user_permission": "read_write", "max_length": 32},
				{"name": "age", "data_type": "number", "user_permission": "read_write"},
			},
			"applications": []obj{{
				"id": benchApp, "name": "Benchmark", "client_id": benchApp, "client_secret": benchAppSecret,
				"redirect_uris": []string{"http://127.0.0.1:9000/callback"},
				"scopes":        []string{"urn:alibaba:idaas:scope:user:manager_all"},
			}},
			"users": []obj{},
		}},
		"access_keys": []obj{{"id": benchAK, "secret": benchAKSecret, "actions": []string{"eiam:*"}, "instances": []string{"*"}}},
	}
	skeleton, err := json.Marshal(file)
	if err != nil {
		return err
	}
	before, after, ok := bytes.Cut(skeleton, []byte(`"users":[]`))
	if !ok {
		return errors.New("import file skeleton has no users array")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	w := bufio.NewWriter(f)
	w.Write(before)
	w.WriteString(`"users":[`)
	for i := range n {
		u := obj{
			"id": userID(i), "username": username(i), "display_name": fmt.Sprintf("Bench User %d", i),
			"nickname": username(i), "email": username(i) + "@bench.example.com", "email_verified": true,
			"custom_fields": obj{customField: fmt.Sprintf("CC-%05d", i%100000), "age": fmt.Sprint(20 + i%40)},
		}
		if i < withPassword {
			u["password"] = benchPassword
		}
		b, err := json.Marshal(u)
		if err != nil {
			return err
		}
		if i > 0 {
			w.WriteString(",\n")
		}
		w.Write(b)
	}
	w.WriteString("]")
	w.Write(after)
	return w.Flush()
}

// databases are the two fresh databases of one benchmark run, as
// --database values, and what removes them.
type databases struct {
	eiam, floor string
	drop        func() error
}

// newDatabases makes fresh databases in dir (SQLite) or on the PostgreSQL
// server of adminDSN, where it creates eiam_bench_<random> and
// floor_bench_<random> and drops them afterwards.
func newDatabases(ctx context.Context, store, dir, adminDSN string) (*databases, error) {
	switch store {
	case "sqlite":
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, err
		}
		return &databases{
			eiam:  "sqlite://" + filepath.Join(abs, "eiam.db"),
			floor: "sqlite://" + filepath.Join(abs, "floor.db"),
			drop:  func() error { return nil },
		}, nil
	case "postgres":
		cfg, err := pgx.ParseConfig(adminDSN)
		if err != nil {
			return nil, fmt.Errorf("-dsn: %w", err)
		}
		admin := stdlib.OpenDB(*cfg)
		suffix := randomHex(6)
		names := []string{"eiam_bench_" + suffix, "floor_bench_" + suffix}
		var created []string
		drop := func() error {
			var errs []error
			for _, name := range created {
				// FORCE: a child killed mid-run may have left sessions.
				if _, err := admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
					errs = append(errs, fmt.Errorf("drop database %s: %w", name, err))
				}
			}
			return errors.Join(append(errs, admin.Close())...)
		}
		for _, name := range names {
			if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
				return nil, errors.Join(fmt.Errorf("create database %s: %w", name, err), drop())
			}
			created = append(created, name)
		}
		eiamDSN, err := withDatabase(adminDSN, names[0])
		if err != nil {
			return nil, errors.Join(err, drop())
		}
		floorDSN, _ := withDatabase(adminDSN, names[1])
		return &databases{eiam: eiamDSN, floor: floorDSN, drop: drop}, nil
	}
	return nil, fmt.Errorf("-store %q: want sqlite or postgres", store)
}

// withDatabase returns the postgres:// URL dsn naming database name.
func withDatabase(dsn, name string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("-dsn: want a postgres:// URL")
	}
	u.Path = "/" + name
	return u.String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// checkPostgres fails early, with a clear message, when adminDSN does not
// answer.
func checkPostgres(ctx context.Context, adminDSN string) error {
	cfg, err := pgx.ParseConfig(adminDSN)
	if err != nil {
		return fmt.Errorf("-dsn: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("PostgreSQL at -dsn does not answer: %w", err)
	}
	return nil
}

// process is a server the benchmark started.
type process struct {
	name string
	cmd  *exec.Cmd
	// base is the URL it listens on.
	base string
	log  string
	done chan error
}

var listeningLine = regexp.MustCompile(`listening on (http://[^\s]+)`)

// startProcess runs bin with args in dir, its standard error going to
// logPath, and waits until it prints the "listening on http://…" line.
func startProcess(ctx context.Context, name, bin, dir, logPath string, args ...string) (*process, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stderr = logFile
	cmd.SysProcAttr = childAttrs()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan error, 1)}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listeningLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		p.done <- cmd.Wait()
	}()
	select {
	case p.base = <-found:
		return p, nil
	case err := <-p.done:
		return nil, fmt.Errorf("%s exited before listening (%v); its log:\n%s", name, err, tail(logPath))
	case <-time.After(2 * time.Minute):
	case <-ctx.Done():
	}
	p.kill()
	return nil, fmt.Errorf("%s did not start listening; its log:\n%s", name, tail(logPath))
}

// stop asks the process to shut down (SIGINT) and waits for it; after 20 s
// it kills it.
func (p *process) stop() error {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-p.done:
		if err != nil {
			return fmt.Errorf("%s: %v; its log:\n%s", p.name, err, tail(p.log))
		}
		return nil
	case <-time.After(20 * time.Second):
		p.kill()
		return fmt.Errorf("%s did not stop within 20 s after SIGINT; killed", p.name)
	}
}

func (p *process) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// runCommand runs bin with args in dir and returns its error with its
// output.
func runCommand(ctx context.Context, bin, dir string, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return nil
}

// tail is the end of the file at path, for error messages.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// freeAddr is a loopback address with a port nobody listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// cpuProfile asks the profiler of a server at debugAddr for a CPU profile
// of the next d and writes it to path.
func cpuProfile(ctx context.Context, debugAddr string, d time.Duration, path string) error {
	seconds := max(1, int(d.Round(time.Second)/time.Second))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", debugAddr, seconds), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profiler answered %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
