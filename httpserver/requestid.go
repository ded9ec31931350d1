package httpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"github.com/eiam/eiam/wire"
)

// RequestIDHeader carries the request id in requests and responses.
const RequestIDHeader = "X-Request-Id"

// RequestID returns the id of the request ctx belongs to ("" outside one).
// Dialects put it in their response bodies; the directory records it in the
// audit log. It is the same value as wire.RequestID: the server stores it
// where the dialects read it.
func RequestID(ctx context.Context) string { return wire.RequestID(ctx) }

// saneRequestID accepts an incoming id only when it is short and made of
// characters that are safe in logs and headers, so a client cannot inject
// log lines or oversized values through it.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == ':'
		if !ok {
			return false
		}
	}
	return true
}

// newRequestID returns a random UUID (version 4) in its canonical form.
func newRequestID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// requestIDMiddleware honours a sane incoming X-Request-Id, generates one
// otherwise, and sets it on the response before the handler runs, so that
// every response carries it, errors and panics included.
func requestIDMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !saneRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(wire.WithRequestID(r.Context(), id)))
	})
}
