package i18n

import (
	"strings"
	"testing"

	"github.com/eiam/eiam"
)

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want Lang
	}{
		{nil, English},
		{[]string{""}, English},
		{[]string{"zh"}, Chinese},
		{[]string{"zh-CN"}, Chinese},
		{[]string{"zh_CN"}, Chinese},
		{[]string{"en"}, English},
		{[]string{"fr-FR,zh;q=0.8"}, Chinese},
		{[]string{"", "zh-CN,zh;q=0.9,en;q=0.8"}, Chinese},
		{[]string{"en", "zh"}, English},
		{[]string{"!!!"}, English},
	} {
		if got := Negotiate(tc.in...); got != tc.want {
			t.Errorf("Negotiate(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestEveryKeyHasBothLanguagesAndPlaceholdersMatch(t *testing.T) {
	for _, k := range Keys() {
		c := catalogue[k]
		if c.en == "" || c.zh == "" {
			t.Errorf("key %q lacks a translation", k)
		}
		for _, ph := range []string{"{field}", "{max}", "{id}", "{region}", "{allowed}", "{expected}", "{attr}"} {
			if strings.Contains(c.en, ph) != strings.Contains(c.zh, ph) {
				t.Errorf("key %q: placeholder %s in one language only", k, ph)
			}
		}
	}
}

func TestMessageFillsFieldAndArgs(t *testing.T) {
	e := eiam.Errorf(eiam.ErrInvalid, "display_name", "too_long", "max", 128)
	if got := Message(English, e); got != "Parameter display_name is too long: at most 128 characters." {
		t.Errorf("en: %q", got)
	}
	if got := Message(Chinese, e); got != "参数 display_name 过长：最多 128 个字符。" {
		t.Errorf("zh: %q", got)
	}
	all := eiam.Join([]*eiam.Error{e, eiam.Errorf(eiam.ErrMissing, "username", "required")})
	if got := MessageAll(English, eiam.AsError(all)); !strings.Contains(got, "display_name") || !strings.Contains(got, "username") {
		t.Errorf("MessageAll lost a violation: %q", got)
	}
}
