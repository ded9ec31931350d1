package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// target is one kind of request the load generator sends.
type target struct {
	// request builds the seq-th request of worker w.
	request func(ctx context.Context, w, seq int, rng *rand.Rand) (*http.Request, error)
	// ok reports whether an answer means the update was made.
	ok func(status int, body []byte) bool
}

// Result is what one load run measured.
type Result struct {
	// Requests counts the successful requests; Errors every other outcome
	// (transport failure, HTTP error, error envelope).
	Requests, Errors int
	Elapsed          time.Duration
	// Latencies of the successful requests.
	P50, P99, P999 time.Duration
	// FirstErrors describes the first few errors.
	FirstErrors []string
}

// RPS is successful requests per second.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

const maxErrorSamples = 5

// load sends requests of t from c workers, each waiting for its answer
// before sending the next (a closed loop), for d; requests in flight when
// d ends are waited for and counted.
func load(ctx context.Context, t target, c int, d time.Duration) Result {
	tr := &http.Transport{MaxIdleConns: c, MaxIdleConnsPerHost: c, IdleConnTimeout: time.Minute, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Minute}

	var (
		mu      sync.Mutex
		res     Result
		samples []time.Duration
		wg      sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for w := range c {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			var lat []time.Duration
			var errs int
			var samplesOfErr []string
			for seq := 0; time.Now().Before(deadline) && ctx.Err() == nil; seq++ {
				req, err := t.request(ctx, w, seq, rng)
				if err != nil {
					errs++
					if len(samplesOfErr) < maxErrorSamples {
						samplesOfErr = append(samplesOfErr, "build request: "+err.Error())
					}
					continue
				}
				began := time.Now()
				status, body, err := send(client, req)
				took := time.Since(began)
				switch {
				case err != nil:
					errs++
					if len(samplesOfErr) < maxErrorSamples {
						samplesOfErr = append(samplesOfErr, fmt.Sprintf("%s %s: %v", req.Method, req.URL.Path, err))
					}
				case !t.ok(status, body):
					errs++
					if len(samplesOfErr) < maxErrorSamples {
						samplesOfErr = append(samplesOfErr, fmt.Sprintf("%s %s: HTTP %d %s", req.Method, req.URL.Path, status, clip(body)))
					}
				default:
					lat = append(lat, took)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			samples = append(samples, lat...)
			res.Errors += errs
			for _, s := range samplesOfErr {
				if len(res.FirstErrors) < maxErrorSamples {
					res.FirstErrors = append(res.FirstErrors, s)
				}
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Requests = len(samples)
	slices.Sort(samples)
	res.P50, res.P99, res.P999 = quantile(samples, 0.50), quantile(samples, 0.99), quantile(samples, 0.999)
	return res
}

func send(client *http.Client, req *http.Request) (int, []byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// quantile is the q-quantile of sorted (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(float64(len(sorted))*q)) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func clip(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
