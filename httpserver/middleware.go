package httpserver

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/eiam/eiam/wire"
)

// recorder remembers the status and size of a response for logs and metrics.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush supports streaming handlers.
func (w *recorder) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack supports protocol upgrades.
func (w *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

func (w *recorder) statusCode() int {
	if w.status == 0 {
		// A handler that wrote nothing answered 200.
		return http.StatusOK
	}
	return w.status
}

// observe is the outermost middleware after the request id: it resolves the
// client IP, recovers panics, and logs and counts every request. Logs carry
// the path but never the query, headers or bodies: queries of the signed RPC
// API and tokens in headers are secrets.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx := r.Context()
		ip := ResolveClientIP(r, s.trusted)
		r = r.WithContext(wire.WithClientIP(ctx, ip))
		rec := &recorder{ResponseWriter: w}
		s.metrics.inFlight.Inc()
		defer func() {
			s.metrics.inFlight.Dec()
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(ctx, "panic serving request",
					"request_id", RequestID(ctx), "method", r.Method, "path", r.URL.Path,
					"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeInternalError(rec)
				} else {
					rec.status = http.StatusInternalServerError
				}
			}
			d := time.Since(start)
			status := rec.statusCode()
			s.metrics.observe(r.Method, r.Pattern, status, d)
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			s.log.LogAttrs(ctx, level, "http request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("route", r.Pattern),
				slog.Int("status", status),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", d),
				slog.String("request_id", RequestID(ctx)),
				slog.String("client_ip", ip),
			)
		}()
		next.ServeHTTP(rec, r)
	})
}

// writeInternalError answers a generic 500 that reveals nothing of the
// failure; the details are in the log under the request id.
func writeInternalError(w http.ResponseWriter) {
	h := w.Header()
	for k := range h {
		if k != RequestIDHeader {
			h.Del(k)
		}
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write([]byte(`{"error":"internal_error","message":"Internal error; please retry later."}` + "\n"))
}
