// Command genusers writes a large import file (spec §4) for measuring
// "eiam import" and the directory at scale: one instance with a few
// organizational units, two custom fields (a unique employee number and a
// number) and N users, each with a username, display name, email, phone,
// external id and custom values, all distinct.
//
// The output is deterministic for a given -n and -seed, and written as a
// stream, so a file of millions of users costs no memory:
//
//	go run ./tools/genusers -n 1000000 -o users.json
//	eiam import --database sqlite://big.db users.json
//
// With -passwords F a fraction F of the users get a plaintext password;
// each costs an argon2id hash at import (see docs/operations.md).
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "genusers:", err)
		os.Exit(1)
	}
}

// config is what the command line asks for.
type config struct {
	users     int
	instance  string
	units     int
	passwords float64
	seed      uint64
	// rename changes the display name of every k-th user (0: none), for
	// a second file that updates some users of the first.
	rename int
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("genusers", flag.ContinueOnError)
	var c config
	fs.IntVar(&c.users, "n", 1000, "number of users")
	fs.StringVar(&c.instance, "instance", "idaas_bench", "instance id")
	fs.IntVar(&c.units, "units", 50, "number of organizational units (besides the root)")
	fs.Float64Var(&c.passwords, "passwords", 0, "fraction of users (0–1) with a plaintext password")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the pseudo-random choices")
	fs.IntVar(&c.rename, "rename", 0, "give every k-th user another display name (0: none)")
	out := fs.String("o", "-", "output file (- for standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.users < 0 || c.units < 1 || c.passwords < 0 || c.passwords > 1 {
		return errors.New("want -n ≥ 0, -units ≥ 1 and -passwords in [0, 1]")
	}
	w := stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := write(bw, c); err != nil {
		return err
	}
	return bw.Flush()
}

var (
	families = []string{"Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
		"Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo"}
	givens = []string{"Wei", "Fang", "Na", "Min", "Jing", "Li", "Qiang", "Lei", "Jun", "Yang",
		"Yong", "Yan", "Jie", "Tao", "Ming", "Chao", "Xiu", "Xia", "Ping", "Gang"}
)

// write renders the file. Strings are quoted with encoding/json; the
// rest is fixed text, so the stream needs no buffer per user.
func write(w *bufio.Writer, c config) error {
	q := func(s string) string {
		b, _ := json.Marshal(s) // a string always marshals
		return string(b)
	}
	fmt.Fprintf(w, `{"instances":[{"id":%s,"name":"Bench Co","organizational_units":[`, q(c.instance))
	for i := range c.units {
		if i > 0 {
			w.WriteByte(',')
		}
		fmt.Fprintf(w, "\n"+`{"id":"ou_%03d","name":"Department %d"}`, i, i)
	}
	w.WriteString(`],"custom_fields":[` + "\n" +
		`{"name":"employee_no","data_type":"string","unique":true,"user_permission":"read_only"},` + "\n" +
		`{"name":"age","data_type":"number","user_permission":"read_write"}],"users":[`)
	rng := rand.New(rand.NewPCG(c.seed, 0x5eed))
	for i := range c.users {
		if i > 0 {
			w.WriteByte(',')
		}
		family, given := families[rng.IntN(len(families))], givens[rng.IntN(len(givens))]
		display := given + " " + family
		if c.rename > 0 && i%c.rename == 0 {
			display = "Renamed " + display
		}
		fmt.Fprintf(w, "\n"+`{"username":"%s.%s.%07d","display_name":%s,"email":"%s.%s.%07d@bench.example.com","email_verified":true,`+
			`"phone_region":"86","phone_number":"139%08d","phone_number_verified":true,"external_id":"hr-%07d",`+
			`"primary_organizational_unit_id":"ou_%03d","custom_fields":{"employee_no":"E%07d","age":%d}`,
			lower(given), lower(family), i, q(display), lower(given), lower(family), i,
			i, i, rng.IntN(c.units), i, 20+rng.IntN(45))
		if c.passwords > 0 && rng.Float64() < c.passwords {
			fmt.Fprintf(w, `,"password":"Pw-%07d-bench"`, i)
		}
		w.WriteByte('}')
	}
	w.WriteString("\n]}]}\n")
	return nil
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
