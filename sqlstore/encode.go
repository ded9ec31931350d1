package sqlstore

import (
	"encoding/json"
	"fmt"
	"time"
)

// Times are stored as BIGINT nanoseconds since the Unix epoch, in UTC, in
// both dialects: one representation everywhere, exact for every time a Go
// program produces (so a user read back equals the user written), and
// ordered numerically. The zero time is stored as 0. The range is the years
// 1678–2262.
var (
	minTime = time.Unix(0, -1<<63)
	maxTime = time.Unix(0, 1<<63-1)
)

// encoder turns values into column values and remembers the first failure,
// so that a row of many columns is checked once.
type encoder struct{ err error }

func (e *encoder) time(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	if t.Before(minTime) || t.After(maxTime) {
		e.fail(fmt.Errorf("time %s out of range", t))
		return 0
	}
	return t.UnixNano()
}

// json encodes v as JSON text; maps encode with sorted keys, so equal values
// give equal text and "changed" comparisons can compare text.
func (e *encoder) json(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		e.fail(err)
		return ""
	}
	return string(b)
}

func (e *encoder) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

func timeFromDB(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// nullable stores "" as NULL, for optional references.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func fromJSON(text string, v any) error {
	if text == "" {
		return nil
	}
	return json.Unmarshal([]byte(text), v)
}
