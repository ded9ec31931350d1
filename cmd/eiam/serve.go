package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/eiam/eiam/cache"
	"github.com/eiam/eiam/httpserver"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseServe(args, getenv, stderr)
	if err != nil {
		return err
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	key, err := loadMasterKey(cfg.common, cfg.db, log)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg.db, key)
	if err != nil {
		return err
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("close database", "error", err)
		}
	}()
	log.Info("database ready", "database", cfg.db.describe())

	if cfg.importFile != "" {
		if err := importFile(ctx, store, key, cfg.importFile, stdout, stderr); err != nil {
			return err
		}
	}

	reg := httpserver.NewRegistry()
	if err := registerStoreMetrics(reg, store); err != nil {
		return err
	}
	srv, err := httpserver.New(httpserver.Options{
		Logger:         log,
		Registry:       reg,
		Health:         store,
		TrustedProxies: cfg.trustedProxies,
		// Each request's reads of the security epoch may share a query
		// that began after the request did (see cache.Request).
		RequestContext: cache.Request,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s (--addr): %w", cfg.addr, err)
	}
	publicURL := cfg.publicURL
	if publicURL == "" {
		publicURL = defaultPublicURL(ln.Addr())
	}
	// The OpenID Connect library logs through slog's default logger only;
	// this keeps its lines in the server's format and destination.
	slog.SetDefault(log)
	if _, err := routes(ctx, srv, store, key, publicURL, cfg.argon2id, log); err != nil {
		ln.Close()
		return err
	}
	if cfg.debugAddr != "" {
		if err := serveDebug(ctx, cfg.debugAddr, log); err != nil {
			ln.Close()
			return err
		}
	}
	go purgeLoop(ctx, store, log)
	log.Info("listening", "addr", ln.Addr().String(), "public_url", publicURL)
	fmt.Fprintf(stdout, "eiam listening on http://%s (public URL %s)\n", ln.Addr(), publicURL)
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}
