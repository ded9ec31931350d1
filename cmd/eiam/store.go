package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/eiam/eiam/masterkey"
	"github.com/eiam/eiam/postgres"
	"github.com/eiam/eiam/sqlite"
	"github.com/eiam/eiam/sqlstore"
	"github.com/prometheus/client_golang/prometheus"
)

// loadMasterKey reads the master key, creating one with a warning when the
// file does not exist: right for development, and loud enough that an
// operator notices in production, where the key must be provisioned and
// backed up apart from the database.
func loadMasterKey(c *common, db database, log *slog.Logger) (*masterkey.Key, error) {
	path := c.masterKeyPath(db)
	key, created, err := masterkey.Load(path, true)
	if err != nil {
		return nil, fmt.Errorf("master key (%s): %w", c.masterKey.source, err)
	}
	if created {
		abs, _ := filepath.Abs(path)
		log.Warn("WARNING: no master key file found, so a new one was created; fine for development, "+
			"but in production provision the key yourself and back it up apart from the database: "+
			"without it, encrypted secrets cannot be read", "path", abs)
	}
	return key, nil
}

// openStore opens the database, migrating its schema. key may be nil for
// a store used only to migrate.
func openStore(ctx context.Context, db database, key *masterkey.Key) (*sqlstore.Store, error) {
	if db.dsn != "" {
		s, err := postgres.Open(ctx, db.dsn, key)
		if err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		return s, nil
	}
	if dir := filepath.Dir(db.path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
	}
	s, err := sqlite.Open(ctx, db.path, key)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return s, nil
}

// registerStoreMetrics exposes the group committer's counters: the mean
// batch size is rate(eiam_store_committed_writes_total) /
// rate(eiam_store_commits_total).
func registerStoreMetrics(reg prometheus.Registerer, s *sqlstore.Store) error {
	for _, c := range []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "eiam_store_commits_total",
			Help: "Transactions of user writes committed (each one sync).",
		}, func() float64 { return float64(s.CommitStats().Batches) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "eiam_store_committed_writes_total",
			Help: "User writes (create, update, delete) committed; they share the commits.",
		}, func() float64 { return float64(s.CommitStats().Writes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "eiam_store_queued_writes",
			Help: "User writes waiting for the next commit.",
		}, func() float64 { return float64(s.CommitStats().Queued) }),
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// describe names the database for logs without credentials.
func (db database) describe() string {
	if db.path != "" {
		return "sqlite:" + db.path
	}
	return "postgres:" + redactDSN(db.dsn)
}
