// Package gosdk drives the vendors' real, unmodified Go SDKs against a
// running eiam: darabonba-openapi (what the generated EIAM 2021-12-01 SDK
// calls; V3, and V1 with SignatureAlgorithm "v2") and the legacy
// alibaba-cloud-sdk-go CommonRequest (V1, GET and POST). It is its own
// module so that the SDKs never become dependencies of eiam.
package gosdk

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The quick-start data (examples/quickstart.json) every server starts with.
const (
	instanceID = "idaas_example01"
	userID     = "user_zhangsan"
	username   = "zhangsan"
	accessKey  = "LTAI5tExample000001"
	secret     = "exampleSecret000000000000000001"
)

var (
	binary     string
	quickstart string
	listening  = regexp.MustCompile(`eiam listening on http://(\S+)`)
)

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "eiam-gosdk-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		root, err := filepath.Abs(filepath.Join("..", ".."))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		binary = filepath.Join(dir, "eiam")
		quickstart = filepath.Join(root, "examples", "quickstart.json")
		build := exec.Command("go", "build", "-o", binary, "./cmd/eiam")
		build.Dir = root
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building eiam:", err)
			return 1
		}
		return m.Run()
	}())
}

// startEIAM serves a fresh SQLite database with the quick start imported on
// a free loopback port and returns its host:port; the server is stopped
// when the test ends.
func startEIAM(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary, "serve", "--addr", "127.0.0.1:0",
		"--database", "sqlite://"+filepath.Join(dir, "e.db"), "--import", quickstart)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		<-waited
	})
	addr := make(chan string, 1)
	go func() {
		defer close(waited)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatalf("eiam exited before listening; stderr:\n%s", stderr.String())
		}
		return a
	case <-time.After(30 * time.Second):
		t.Fatalf("eiam did not start in 30s")
	}
	return ""
}
