// Command floor is the durable floor of eiam's load benchmark: the smallest
// honest program that does the physical work of a profile update — read an
// HTTP request, decode its JSON body, update one row in the same database
// with the same durability setting as eiam, and answer with JSON — and
// nothing else: no authentication, validation, audit record or change
// event.
//
// It is honest in both directions. It takes no shortcut eiam may not take:
// every update is its own durable commit (SQLite in WAL mode with
// synchronous=FULL through the same modernc.org/sqlite driver; PostgreSQL
// with synchronous_commit on, through pgx) and the answer is written only
// after the commit returns. And it is not slowed down on purpose: SQLite
// writes go through one connection, as eiam's do, so writers queue in Go
// rather than meet SQLITE_BUSY; PostgreSQL writes go through a pool of as
// many connections as eiam opens.
//
//	floor -database sqlite:///tmp/floor.db -users 1000 -addr 127.0.0.1:0
//
// It creates its table and seeds the users at start, prints
// "floor listening on http://ADDR" and serves
//
//	POST /users/{id}  {"nickname": "…", "custom": {"name": "value", …}}
//
// until SIGINT or SIGTERM. The bench command (../) starts it.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

// postgresConns is the size of the PostgreSQL pool, the same as eiam's
// (postgres.maxConns).
const postgresConns = 16

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	database := fs.String("database", "", "sqlite:///ABSOLUTE/PATH or postgres://… (a database of its own: the table is created)")
	users := fs.Int("users", 1000, "rows to seed: ids user_bench_000000 …")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, placeholder, err := open(ctx, *database)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := seed(ctx, db, placeholder, *users); err != nil {
		return err
	}

	update := fmt.Sprintf(`UPDATE users SET nickname = %[1]s1, custom = %[1]s2, updated_at = %[1]s3 WHERE id = %[1]s4`, placeholder)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Nickname string            `json:"nickname"`
			Custom   map[string]string `json:"custom"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
			http.Error(w, `{"error":"bad json"}`, http.StatusBadRequest)
			return
		}
		custom, _ := json.Marshal(body.Custom)
		now := time.Now().UnixNano()
		res, err := db.ExecContext(r.Context(), update, body.Nickname, string(custom), now, r.PathValue("id"))
		if err != nil {
			http.Error(w, `{"error":"update failed"}`, http.StatusInternalServerError)
			fmt.Fprintln(stderr, "update:", err)
			return
		}
		if n, _ := res.RowsAffected(); n != 1 {
			http.Error(w, `{"error":"no such user"}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": r.PathValue("id"), "nickname": body.Nickname, "updated_at": now})
	})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "floor listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// open opens the database with eiam's durability settings and returns it
// with its placeholder prefix ("?" for SQLite, "$" for PostgreSQL).
func open(ctx context.Context, database string) (*sql.DB, string, error) {
	switch {
	case strings.HasPrefix(database, "sqlite://"):
		path := strings.TrimPrefix(database, "sqlite://")
		// The pragmas of eiam's write pool (sqlite.dsns).
		dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate"
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, "", err
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		return db, "?", db.PingContext(ctx)
	case strings.HasPrefix(database, "postgres://"), strings.HasPrefix(database, "postgresql://"):
		cfg, err := pgx.ParseConfig(database)
		if err != nil {
			return nil, "", err
		}
		// The server's default, stated so that a DSN or role setting cannot
		// quietly make the floor less durable than eiam.
		cfg.RuntimeParams["synchronous_commit"] = "on"
		db := stdlib.OpenDB(*cfg)
		db.SetMaxOpenConns(postgresConns)
		db.SetMaxIdleConns(postgresConns)
		return db, "$", db.PingContext(ctx)
	}
	return nil, "", fmt.Errorf("-database %q: want sqlite:///PATH or postgres://…", database)
}

// seed creates the users table with n rows in one transaction.
func seed(ctx context.Context, db *sql.DB, placeholder string, n int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE users (
		id TEXT PRIMARY KEY,
		nickname TEXT NOT NULL,
		custom TEXT NOT NULL,
		updated_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("create table: %w", err)
	}
	// Rows go in batches of up to 500, so that a million of them take
	// seconds, not minutes.
	for from := 0; from < n; from += 500 {
		var values []string
		var args []any
		for i := from; i < min(from+500, n); i++ {
			values = append(values, fmt.Sprintf("(%[1]s%[2]d, %[1]s%[3]d, '{}', 0)", placeholder, len(args)+1, len(args)+2))
			args = append(args, fmt.Sprintf("user_bench_%06d", i), fmt.Sprintf("bench%06d", i))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, nickname, custom, updated_at) VALUES `+strings.Join(values, ", "), args...); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	return tx.Commit()
}
