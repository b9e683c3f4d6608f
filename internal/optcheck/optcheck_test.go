package optcheck

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var errInvalid = errors.New("pkg: invalid option")

func TestSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		v, want time.Duration
		err     string
	}{
		{"zero keeps the default", 0, time.Minute, ""},
		{"positive is set", time.Second, time.Second, ""},
		{"negative is refused", -time.Second, time.Minute, "pkg: invalid option: WithX(-1s): negative"},
	}
	for _, tt := range tests {
		d := time.Minute
		err := Set(errInvalid, "WithX", tt.v, &d)
		if d != tt.want {
			t.Errorf("%s: value %v, want %v", tt.name, d, tt.want)
		}
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.err != "" && (!errors.Is(err, errInvalid) || err.Error() != tt.err):
			t.Errorf("%s: error %v, want %q matching errInvalid", tt.name, err, tt.err)
		}
	}
	n := 5
	if err := Set(errInvalid, "WithN", -3, &n); err == nil || !strings.Contains(err.Error(), "WithN(-3)") || n != 5 {
		t.Errorf("int: %v, %d", err, n)
	}
}

type option interface{ apply(*[]string) error }

type optionFunc func(*[]string) error

func (f optionFunc) apply(s *[]string) error { return f(s) }

func TestApply(t *testing.T) {
	t.Parallel()
	add := func(v string) option {
		return optionFunc(func(s *[]string) error { *s = append(*s, v); return nil })
	}
	bad := optionFunc(func(*[]string) error { return errInvalid })
	var got []string
	err := Apply([]option{add("a"), nil, add("b"), bad, add("c")}, func(o option) error { return o.apply(&got) })
	if !errors.Is(err, errInvalid) || strings.Join(got, ",") != "a,b" {
		t.Fatalf("Apply: %v, applied %q; want the nil one skipped and none after the invalid one", err, got)
	}
	if err := Apply(nil, func(o option) error { return o.apply(&got) }); err != nil {
		t.Fatal(err)
	}
}

func TestAbsoluteURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		u       string
		schemes []string
		want    bool
	}{
		{"https://app.example/cb", nil, true},
		{"myapp://host/cb", nil, true},
		{"myapp://host/cb", []string{"http", "https"}, false},
		{"http://127.0.0.1:8080/", []string{"http", "https"}, true},
		{"/cb", nil, false},
		{"https:///cb", nil, false},
		{"javascript:alert(1)", nil, false},
		{"", nil, false},
		{"http://[::1", nil, false},
	} {
		if got := AbsoluteURL(tt.u, tt.schemes...); got != tt.want {
			t.Errorf("AbsoluteURL(%q, %q) = %v, want %v", tt.u, tt.schemes, got, tt.want)
		}
	}
}
