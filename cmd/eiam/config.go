package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"github.com/eiam/eiam/httpserver"
	"github.com/eiam/eiam/password"
)

// setting is a string flag with an environment variable and a default.
// After parsing, value holds the flag's value if given, else the
// variable's if set, else the default; source says which, for errors.
type setting struct {
	name, env, def string
	value, source  string
}

// flagSet is a flag.FlagSet whose flags have environment equivalents.
type flagSet struct {
	fs       *flag.FlagSet
	settings []*setting
}

func newFlagSet(name, usage string, stderr io.Writer) *flagSet {
	fs := flag.NewFlagSet("eiam "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &flagSet{fs: fs}
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fmt.Fprintln(stderr, "\nFlags (each with its environment variable):")
		fs.PrintDefaults()
	}
	return f
}

// str defines --name with environment variable env.
func (f *flagSet) str(name, env, def, usage string) *setting {
	s := &setting{name: name, env: env, def: def}
	if env != "" {
		usage += " (env " + env + ")"
	}
	f.fs.StringVar(&s.value, name, def, usage)
	f.settings = append(f.settings, s)
	return s
}

// parse parses args and fills unset flags from the environment.
func (f *flagSet) parse(args []string, getenv func(string) string) error {
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{msg: err.Error()}
	}
	given := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	for _, s := range f.settings {
		switch {
		case given[s.name]:
			s.source = "--" + s.name
		case s.env != "" && getenv(s.env) != "":
			s.value, s.source = getenv(s.env), s.env
		default:
			s.source = "default of --" + s.name
		}
	}
	return nil
}

// invalid is the error of a bad value, naming where it came from.
func (s *setting) invalid(format string, args ...any) error {
	return usagef("invalid value %q for %s: %s", s.value, s.source, fmt.Sprintf(format, args...))
}

// common are the settings every command that opens the database shares.
type common struct {
	database, masterKey, logFormat, logLevel *setting
}

func (f *flagSet) common(withKey bool) *common {
	c := &common{
		database: f.str("database", "EIAM_DATABASE", "sqlite://eiam.db",
			"database: sqlite://PATH (relative to the working directory), sqlite:///ABSOLUTE/PATH, or postgres://USER@HOST:PORT/DB"),
		logFormat: f.str("log-format", "EIAM_LOG_FORMAT", "auto", "log format: auto (text on a terminal, JSON otherwise), json or text"),
		logLevel:  f.str("log-level", "EIAM_LOG_LEVEL", "info", "log level: debug, info, warn or error"),
	}
	if withKey {
		c.masterKey = f.str("master-key-file", "EIAM_MASTER_KEY_FILE", "",
			"file holding the key that encrypts secrets at rest (default: master.key beside the SQLite file, or in the working directory; created with a warning when absent)")
	}
	return c
}

// database is a parsed --database.
type database struct {
	// path is the SQLite file; empty for PostgreSQL.
	path string
	// dsn is the PostgreSQL connection URL; empty for SQLite.
	dsn string
}

func (c *common) parseDatabase() (database, error) {
	v := c.database.value
	switch {
	case strings.HasPrefix(v, "sqlite://"):
		p := strings.TrimPrefix(v, "sqlite://")
		if p == "" || strings.ContainsAny(p, "?#") {
			return database{}, c.database.invalid("want sqlite://PATH or sqlite:///ABSOLUTE/PATH")
		}
		return database{path: filepath.Clean(p)}, nil
	case strings.HasPrefix(v, "postgres://"), strings.HasPrefix(v, "postgresql://"):
		if _, err := url.Parse(v); err != nil {
			return database{}, c.database.invalid("not a URL")
		}
		return database{dsn: v}, nil
	}
	return database{}, c.database.invalid("want sqlite://PATH, sqlite:///ABSOLUTE/PATH or postgres://…")
}

// masterKeyPath is --master-key-file, or master.key beside the SQLite file
// (in the working directory for PostgreSQL).
func (c *common) masterKeyPath(db database) string {
	if c.masterKey.value != "" {
		return c.masterKey.value
	}
	if db.path != "" {
		return filepath.Join(filepath.Dir(db.path), "master.key")
	}
	return "master.key"
}

// logger builds the logger on stderr from --log-format and --log-level.
func (c *common) logger(stderr io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel.value)); err != nil {
		return nil, c.logLevel.invalid("want debug, info, warn or error")
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.logFormat.value {
	case "json":
		return slog.New(slog.NewJSONHandler(stderr, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(stderr, opts)), nil
	case "auto":
		if isTerminal(stderr) {
			return slog.New(slog.NewTextHandler(stderr, opts)), nil
		}
		return slog.New(slog.NewJSONHandler(stderr, opts)), nil
	}
	return nil, c.logFormat.invalid("want auto, json or text")
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// serveConfig is everything serve needs from the command line.
type serveConfig struct {
	*common
	db             database
	addr           string
	publicURL      string
	trustedProxies []netip.Prefix
	importFile     string
	argon2id       password.Params
	// debugAddr, when set, serves Go's profiler (net/http/pprof) on a
	// listener of its own, never on the public one.
	debugAddr string
}

const serveUsage = `Usage: eiam serve [flags]

Runs the server. The database schema is migrated first. With --import FILE
the file is imported (idempotently) before the server starts listening.
SIGINT or SIGTERM stops it gracefully: it stops accepting connections, lets
requests in flight finish (at most 15 seconds) and closes the database.
`

func parseServe(args []string, getenv func(string) string, stderr io.Writer) (*serveConfig, error) {
	f := newFlagSet("serve", serveUsage, stderr)
	addr := f.str("addr", "EIAM_ADDR", "127.0.0.1:8080", "address to listen on, HOST:PORT (port 0 picks a free one)")
	c := f.common(true)
	public := f.str("public-url", "EIAM_PUBLIC_URL", "", "URL clients reach the server at; OIDC issuers live under it (default http:// + the listening address)")
	proxies := f.str("trusted-proxies", "EIAM_TRUSTED_PROXIES", "", "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed (default none)")
	imp := f.str("import", "", "", "import this JSON file before serving")
	argon := f.str("argon2id", "EIAM_ARGON2ID", password.DefaultParams.String(),
		"argon2id parameters for new password hashes: m=KiB,t=passes,p=lanes; older hashes are upgraded at each user's next sign-in")
	debug := f.str("debug-addr", "EIAM_DEBUG_ADDR", "", "serve Go's profiler (/debug/pprof/) on this HOST:PORT, a listener of its own; keep it private (default off)")
	if err := f.parse(args, getenv); err != nil {
		return nil, err
	}
	if f.fs.NArg() > 0 {
		return nil, usagef("serve takes no arguments, got %q", f.fs.Arg(0))
	}
	cfg := &serveConfig{common: c, addr: addr.value, importFile: imp.value, debugAddr: debug.value}
	var err error
	if cfg.db, err = c.parseDatabase(); err != nil {
		return nil, err
	}
	if _, port, err := net.SplitHostPort(addr.value); err != nil || port == "" {
		return nil, addr.invalid("want HOST:PORT, such as 127.0.0.1:8080 or :8080")
	}
	if debug.value != "" {
		if _, port, err := net.SplitHostPort(debug.value); err != nil || port == "" {
			return nil, debug.invalid("want HOST:PORT, such as 127.0.0.1:6060")
		}
	}
	if public.value != "" {
		u, err := url.Parse(public.value)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, public.invalid("want an http or https URL such as https://iam.example.com")
		}
		cfg.publicURL = strings.TrimSuffix(public.value, "/")
	}
	if cfg.argon2id, err = password.ParseParams(argon.value); err != nil {
		return nil, argon.invalid("%v", err)
	}
	if cfg.trustedProxies, err = httpserver.ParseTrustedProxies(proxies.value); err != nil {
		return nil, proxies.invalid("%v", err)
	}
	if _, err := c.logger(io.Discard); err != nil {
		return nil, err
	}
	return cfg, nil
}

// defaultPublicURL is http:// + the address the server listens on; an
// unspecified host (":8080", "0.0.0.0:8080") becomes localhost, which is at
// least reachable from the machine itself.
func defaultPublicURL(listening net.Addr) string {
	host, port, err := net.SplitHostPort(listening.String())
	if err != nil {
		return "http://" + listening.String()
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
