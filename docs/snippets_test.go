package docs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/eiam/eiam/importer"
	"github.com/eiam/eiam/password"
	"github.com/eiam/eiam/storetest"
)

// guides are the migration guides, one per dialect. README.md links each.
var guides = []string{
	"migrate-bamboo.md",
	"migrate-authing.md",
	"migrate-alibaba-idaas-developer.md",
	"migrate-alibaba-eiam-openapi.md",
}

// snippetRoot is where the compatibility tests live, relative to docs/.
const snippetRoot = "../sdktest"

// A region of a test file is marked with a line "// docs:snippet NAME"
// before it and "// docs:end" after it. A guide shows it as a fenced block
// whose info string names it: "```js snippet=NAME". The block must equal
// the region with the region's common indentation removed.
var (
	regionStart = regexp.MustCompile(`^\s*// docs:snippet ([a-z0-9-]+)\s*$`)
	regionEnd   = regexp.MustCompile(`^\s*// docs:end\s*$`)
	fenceStart  = regexp.MustCompile("^```([a-z]*)(.*)$")
	snippetTag  = regexp.MustCompile(`(?:^|\s)snippet=([a-z0-9-]+)(?:\s|$)`)
)

// region is a marked region of a test file.
type region struct {
	file string
	line int
	text string
	used bool
}

// fence is a fenced code block of a guide.
type fence struct {
	file string
	line int
	info string
	text string
}

func TestGuideSnippetsAreTheTestedCode(t *testing.T) {
	regions := readRegions(t)
	if len(regions) == 0 {
		t.Fatalf("no docs:snippet regions under %s", snippetRoot)
	}
	for _, g := range guides {
		shown := 0
		for _, f := range readFences(t, g) {
			m := snippetTag.FindStringSubmatch(f.info)
			if m == nil {
				continue
			}
			shown++
			r, ok := regions[m[1]]
			if !ok {
				t.Errorf("%s:%d shows snippet %q, which no test under %s marks", f.file, f.line, m[1], snippetRoot)
				continue
			}
			r.used = true
			if f.text != r.text {
				t.Errorf("%s:%d snippet %q differs from %s:%d, the code the test runs:\n%s",
					f.file, f.line, m[1], r.file, r.line, lineDiff(r.text, f.text))
			}
		}
		if shown == 0 {
			t.Errorf("%s shows no tested snippet", g)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(regions)) {
		if r := regions[name]; !r.used {
			t.Errorf("%s:%d marks snippet %q, which no guide shows", r.file, r.line, name)
		}
	}
}

// TestGuideImportFilesImport imports every import file a guide shows (a
// fenced block with the info string "json import-file") into a fresh
// database: the examples are files eiam accepts.
func TestGuideImportFilesImport(t *testing.T) {
	hasher, err := password.NewHasher(password.Params{Memory: 8 * 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range guides {
		found := false
		for _, f := range readFences(t, g) {
			if !slices.Contains(strings.Fields(f.info), "import-file") {
				continue
			}
			found = true
			im, err := importer.New(storetest.OpenSQLite(t), importer.Options{Hasher: hasher, Index: storetest.NewKey(t)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := im.Import(context.Background(), strings.NewReader(f.text)); err != nil {
				t.Errorf("%s:%d: the import file does not import: %v", f.file, f.line, err)
				var ve *importer.ValidationError
				if errors.As(err, &ve) {
					t.Log(ve.Text())
				}
			}
		}
		if !found {
			t.Errorf("%s shows no import file", g)
		}
	}
}

func TestReadmeLinksEveryGuide(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range guides {
		if !bytes.Contains(readme, []byte("(docs/"+g+")")) {
			t.Errorf("README.md does not link docs/%s", g)
		}
	}
}

// readRegions finds every marked region in the compatibility tests.
func readRegions(t *testing.T) map[string]*region {
	t.Helper()
	out := map[string]*region{}
	err := filepath.WalkDir(snippetRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "node_modules" {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, ".test.js")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var cur *region
		var lines []string
		sc := bufio.NewScanner(bytes.NewReader(b))
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			switch {
			case regionStart.MatchString(line):
				if cur != nil {
					t.Errorf("%s:%d: docs:snippet inside the region that starts at line %d", path, n, cur.line)
				}
				name := regionStart.FindStringSubmatch(line)[1]
				if prev, dup := out[name]; dup {
					t.Errorf("%s:%d: snippet %q is also marked at %s:%d", path, n, name, prev.file, prev.line)
				}
				cur, lines = &region{file: strings.TrimPrefix(filepath.ToSlash(path), "../"), line: n}, nil
				out[name] = cur
			case regionEnd.MatchString(line):
				if cur == nil {
					t.Errorf("%s:%d: docs:end without docs:snippet", path, n)
					continue
				}
				cur.text = dedent(lines)
				cur = nil
			case cur != nil:
				lines = append(lines, line)
			}
		}
		if cur != nil {
			t.Errorf("%s:%d: docs:snippet without docs:end", path, cur.line)
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// readFences returns the fenced code blocks of a guide.
func readFences(t *testing.T, name string) []fence {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var out []fence
	var cur *fence
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil:
			if m := fenceStart.FindStringSubmatch(line); m != nil {
				cur, lines = &fence{file: "docs/" + name, line: n, info: strings.TrimSpace(m[1] + m[2])}, nil
			}
		case line == "```":
			cur.text = strings.Join(lines, "\n") + "\n"
			out = append(out, *cur)
			cur = nil
		default:
			lines = append(lines, line)
		}
	}
	if cur != nil {
		t.Errorf("docs/%s:%d: unterminated code block", name, cur.line)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// dedent removes the indentation the lines share (blank lines aside) and
// joins them, each ending in a newline.
func dedent(lines []string) string {
	prefix := ""
	first := true
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		ind := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		if first {
			prefix, first = ind, false
			continue
		}
		for !strings.HasPrefix(ind, prefix) {
			prefix = prefix[:len(prefix)-1]
		}
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(strings.TrimPrefix(l, prefix))
		b.WriteByte('\n')
	}
	return b.String()
}

// lineDiff shows the first line where the tested code and the guide part.
func lineDiff(tested, shown string) string {
	a, b := strings.Split(tested, "\n"), strings.Split(shown, "\n")
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n  test:  " + strings.ReplaceAll(x, "\t", "→") + "\n  guide: " + strings.ReplaceAll(y, "\t", "→")
		}
	}
	return "(they differ in line endings)"
}
