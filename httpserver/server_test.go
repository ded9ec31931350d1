package httpserver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eiam/eiam/wire"
)

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

type pingFunc func(context.Context) error

func (f pingFunc) Ping(ctx context.Context) error { return f(ctx) }

func newTestServer(t *testing.T, opts Options) (*Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	}
	if opts.Registry == nil {
		opts.Registry = NewRegistry()
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, logs
}

func TestRoutes(t *testing.T) {
	var healthy = true
	s, logs := newTestServer(t, Options{Health: pingFunc(func(context.Context) error {
		if healthy {
			return nil
		}
		return errors.New("db down")
	})})
	s.Handle("GET /things/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "thing "+r.PathValue("id")+" "+RequestID(r.Context()))
	}))
	s.Handle("GET /boom", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Secret", "leak")
		panic("secret detail")
	}))
	h := s.Handler()

	tests := []struct {
		name       string
		path       string
		header     map[string]string
		wantStatus int
		wantBody   []string
		notBody    []string
	}{
		{name: "healthz", path: "/healthz", wantStatus: 200, wantBody: []string{`{"status":"ok"}`}},
		{name: "route with id", path: "/things/42", wantStatus: 200, wantBody: []string{"thing 42 "}},
		{name: "incoming request id honoured", path: "/things/1", header: map[string]string{"X-Request-Id": "abc-123"},
			wantStatus: 200, wantBody: []string{"thing 1 abc-123"}},
		{name: "insane request id replaced", path: "/things/1", header: map[string]string{"X-Request-Id": "a b\nc"},
			wantStatus: 200, notBody: []string{"a b"}},
		{name: "panic is a generic 500", path: "/boom", wantStatus: 500,
			wantBody: []string{"internal_error"}, notBody: []string{"secret detail"}},
		{name: "unknown path", path: "/nope", wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tt.path, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			id := rec.Header().Get("X-Request-Id")
			if !saneRequestID(id) {
				t.Errorf("X-Request-Id %q", id)
			}
			if in := tt.header["X-Request-Id"]; saneRequestID(in) && id != in {
				t.Errorf("X-Request-Id %q, want the incoming %q", id, in)
			}
			if rec.Header().Get("X-Secret") != "" {
				t.Error("headers of a panicking handler leaked")
			}
			for _, w := range tt.wantBody {
				if !strings.Contains(rec.Body.String(), w) {
					t.Errorf("body %q lacks %q", rec.Body, w)
				}
			}
			for _, w := range tt.notBody {
				if strings.Contains(rec.Body.String(), w) {
					t.Errorf("body %q contains %q", rec.Body, w)
				}
			}
		})
	}

	healthy = false
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("unhealthy store: status %d, want 503", rec.Code)
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`eiam_http_requests_total{method="GET",route="GET /things/{id}",status="200"} 3`,
		`eiam_http_requests_total{method="GET",route="GET /boom",status="500"} 1`,
		`eiam_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`eiam_http_request_duration_seconds_bucket{method="GET",route="GET /healthz"`,
		"go_goroutines", "process_cpu_seconds_total",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	out := logs.String()
	if !strings.Contains(out, `"msg":"http request"`) || !strings.Contains(out, `"request_id":"abc-123"`) {
		t.Errorf("access log lacks request lines or ids:\n%s", out)
	}
	if !strings.Contains(out, `"msg":"panic serving request"`) {
		t.Errorf("panic not logged:\n%s", out)
	}
}

func TestAccessLogOmitsSecrets(t *testing.T) {
	s, logs := newTestServer(t, Options{})
	s.Handle("POST /login", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	req := httptest.NewRequest("POST", "/login?Signature=sig-in-query", strings.NewReader(`{"password":"pw-in-body"}`))
	req.Header.Set("Authorization", "Bearer token-in-header")
	s.Handler().ServeHTTP(httptest.NewRecorder(), req)
	out := logs.String()
	for _, secret := range []string{"sig-in-query", "pw-in-body", "token-in-header"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
}

func TestContextCarriesClientIP(t *testing.T) {
	proxies, _ := ParseTrustedProxies("192.0.2.1")
	s, _ := newTestServer(t, Options{TrustedProxies: proxies})
	var got, gotWire string
	s.Handle("GET /ip", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, gotWire = ClientIP(r.Context()), wire.ClientIP(r.Context())
	}))
	req := httptest.NewRequest("GET", "/ip", nil)
	req.RemoteAddr = "192.0.2.1:4000"
	req.Header.Set("X-Forwarded-For", "203.0.113.50")
	s.Handler().ServeHTTP(httptest.NewRecorder(), req)
	if got != "203.0.113.50" || gotWire != got {
		t.Errorf("ClientIP %q, wire.ClientIP %q, want 203.0.113.50", got, gotWire)
	}
}

func TestResolveClientIP(t *testing.T) {
	proxies, err := ParseTrustedProxies("10.0.0.0/8, 127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		remote  string
		xff     string
		trusted []netip.Prefix
		want    string
	}{
		{"no proxies configured ignores header", "192.0.2.1:5555", "203.0.113.9", nil, "192.0.2.1"},
		{"untrusted peer ignores header", "192.0.2.1:5555", "203.0.113.9", proxies, "192.0.2.1"},
		{"trusted peer", "10.1.2.3:5555", "203.0.113.9", proxies, "203.0.113.9"},
		{"skips trusted hops from the right", "127.0.0.1:5555", "198.51.100.7, 203.0.113.9, 10.0.0.5", proxies, "203.0.113.9"},
		{"all trusted gives leftmost", "127.0.0.1:5555", "10.0.0.5", proxies, "10.0.0.5"},
		{"malformed hop stops", "127.0.0.1:5555", "203.0.113.9, garbage", proxies, "127.0.0.1"},
		{"ipv6 peer", "[2001:db8::1]:443", "", nil, "2001:db8::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := ResolveClientIP(r, tt.trusted); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := ParseTrustedProxies("10.0.0.0/33"); err == nil {
		t.Error("bad prefix accepted")
	}
}

func TestServeGracefulShutdown(t *testing.T) {
	s, _ := newTestServer(t, Options{ShutdownTimeout: 5 * time.Second})
	started := make(chan struct{})
	s.Handle("GET /slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(w, "done")
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	<-started
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if body := <-got; body != "done" {
		t.Errorf("in-flight request got %q, want it finished", body)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("still accepting after shutdown")
	}
}
