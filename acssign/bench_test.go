package acssign

import (
	"strings"
	"testing"
)

// BenchmarkParseVerify measures Parse+Verify on realistic captured requests
// (an UpdateUser with custom fields for V1/V3, a nested updateUser for
// Authing).
func BenchmarkParseVerify(b *testing.B) {
	pick := map[Scheme]string{
		SchemeV1:      "pop-core GET UpdateUser",
		SchemeV3:      "openapi-client V3 POST query",
		SchemeAuthing: "updateUser unicode, nested order, numbers, booleans, null",
	}
	var all []capture
	for _, file := range captureFiles {
		all = append(all, loadCaptures(b, file)...)
	}
	for _, scheme := range []Scheme{SchemeV1, SchemeV3, SchemeAuthing} {
		var c capture
		for _, x := range all {
			if strings.EqualFold(x.Name, pick[scheme]) {
				c = x
			}
		}
		if c.Name == "" {
			b.Fatalf("no capture %q", pick[scheme])
		}
		r := c.request(b)
		b.Run(string(scheme), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := Parse(r)
				if err != nil {
					b.Fatal(err)
				}
				if err := p.Verify(c.Secret); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
