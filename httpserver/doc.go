// Package httpserver is eiam's HTTP front door: it builds the *http.Server
// from explicit dependencies (a logger, a Prometheus registry, the store's
// health check) and wraps every route in the same middleware — request ids,
// client IP resolution, access logging, metrics by route pattern, and panic
// recovery. API packages register their routes with Server.Handle using Go
// 1.22 "METHOD /path/{id}" patterns.
//
// The package knows nothing of the directory: it serves /healthz and
// /metrics itself and leaves everything else to whoever registers routes.
package httpserver
