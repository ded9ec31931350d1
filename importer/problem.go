package importer

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Problem is one thing wrong with an import file, at a path such as
// "instances[0].users[1].email".
type Problem struct {
	Path    string
	Message string
}

// String renders the problem as "path: message".
func (p Problem) String() string { return p.Path + ": " + p.Message }

// ValidationError is returned when a file has problems; nothing was written.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "import file has a problem: " + e.Problems[0].String()
	}
	return fmt.Sprintf("import file has %d problems, first: %s", len(e.Problems), e.Problems[0])
}

// Text lists every problem, one per line.
func (e *ValidationError) Text() string {
	var b strings.Builder
	for _, p := range e.Problems {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// sectionRank orders the keys of the file as they are documented, so that
// problems found by different checks are listed in file order.
var sectionRank = map[string]int{
	"instances": 1, "access_keys": 2,
	"id": 1, "name": 2, "organizational_units": 3, "custom_fields": 4, "applications": 5, "users": 6,
}

// sortProblems orders problems by their place in the file: by section and
// array index; problems at the same place keep the order they were found in.
func sortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int { return comparePaths(a.Path, b.Path) })
}

func comparePaths(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		an, ai := splitIndex(as[i])
		bn, bi := splitIndex(bs[i])
		if an != bn {
			ra, rb := sectionRank[an], sectionRank[bn]
			if ra == 0 || rb == 0 {
				return 0 // keys of a user and the like: keep the order found
			}
			return cmp.Compare(ra, rb)
		}
		if c := cmp.Compare(ai, bi); c != 0 {
			return c
		}
	}
	return 0
}

// splitIndex splits "users[12]" into "users" and 12 (-1 without an index).
func splitIndex(seg string) (string, int) {
	open := strings.IndexByte(seg, '[')
	if open < 0 || !strings.HasSuffix(seg, "]") {
		return seg, -1
	}
	n, err := strconv.Atoi(seg[open+1 : len(seg)-1])
	if err != nil {
		return seg, -1
	}
	return seg[:open], n
}
