package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Pinger reports whether the database answers; the store implements it.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Options are the dependencies and settings of a Server.
type Options struct {
	// Logger receives access logs and server errors; required.
	Logger *slog.Logger
	// Registry is exposed at /metrics and receives the HTTP collectors;
	// NewRegistry gives one with the Go and process collectors. Required.
	Registry *prometheus.Registry
	// Health is checked by /healthz; nil means always healthy.
	Health Pinger
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// ShutdownTimeout bounds how long in-flight requests may take to finish
	// after shutdown starts; 15s when zero.
	ShutdownTimeout time.Duration
	// RequestContext, when set, derives the context every request is
	// handled with from the one net/http gives it.
	RequestContext func(context.Context) context.Context
}

// Server is an HTTP server whose routes are registered by API packages.
type Server struct {
	log             *slog.Logger
	reg             *prometheus.Registry
	health          Pinger
	trusted         []netip.Prefix
	shutdownTimeout time.Duration
	metrics         *metrics
	mux             *http.ServeMux
	handler         http.Handler
}

// New returns a Server serving /healthz and /metrics.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil || opts.Registry == nil {
		return nil, errors.New("httpserver: Logger and Registry are required")
	}
	m, err := newMetrics(opts.Registry)
	if err != nil {
		return nil, fmt.Errorf("register http metrics: %w", err)
	}
	s := &Server{
		log:             opts.Logger,
		reg:             opts.Registry,
		health:          opts.Health,
		trusted:         opts.TrustedProxies,
		shutdownTimeout: opts.ShutdownTimeout,
		metrics:         m,
		mux:             http.NewServeMux(),
	}
	if s.shutdownTimeout <= 0 {
		s.shutdownTimeout = 15 * time.Second
	}
	// observe must wrap the mux directly: it reads the matched pattern from
	// the request the mux was given.
	s.handler = requestIDMiddleware(s.observe(s.mux))
	if f := opts.RequestContext; f != nil {
		next := s.handler
		s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(f(r.Context())))
		})
	}
	s.Handle("GET /healthz", http.HandlerFunc(s.healthz))
	s.Handle("GET /metrics", metricsHandler(s.reg))
	return s, nil
}

// Handle registers h for a Go 1.22 mux pattern such as
// "PATCH /v2/{instanceId}/{applicationId}/users/{userId}". It panics on a
// malformed or conflicting pattern, as http.ServeMux does: both are
// programming errors found at start-up.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
}

// HandleFunc registers a handler function for pattern.
func (s *Server) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	s.mux.HandleFunc(pattern, h)
}

// Handler returns the complete handler: middleware around every route.
func (s *Server) Handler() http.Handler { return s.handler }

// healthz answers 200 while the store answers, 503 otherwise.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.health != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.health.Ping(ctx); err != nil {
			s.log.WarnContext(ctx, "health check failed", "error", err, "request_id", RequestID(ctx))
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"unavailable"}` + "\n"))
			return
		}
	}
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// Serve serves on ln until ctx is done, then shuts down gracefully: it stops
// accepting, lets in-flight requests finish within the shutdown timeout, and
// closes what is left. It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		// Requests must not be cancelled by ctx itself: shutdown lets them
		// finish, so their context outlives the serve context.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "timeout", s.shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown http: in-flight requests did not finish in %s: %w", s.shutdownTimeout, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve http: %w", err)
	}
	return nil
}
