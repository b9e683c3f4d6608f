package setup

import (
	"strings"
	"testing"
)

func TestFromEnv(t *testing.T) {
	t.Parallel()
	all := map[string]string{EnvClientID: "japortal000000", EnvClientSecret: "secret", EnvRedirectURL: "http://127.0.0.1:8080/callback"}
	tests := []struct {
		name     string
		set      []string
		wantFake bool
		wantErr  string
	}{
		{"none: the fake", nil, true, ""},
		{"all: the real jAccount", []string{EnvClientID, EnvClientSecret, EnvRedirectURL}, false, ""},
		{"some: an error", []string{EnvClientID}, false, EnvClientSecret + ", " + EnvRedirectURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, err := FromEnv(func(k string) string {
				for _, s := range tt.set {
					if s == k {
						return all[k]
					}
				}
				return ""
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer env.Close()
			if (env.Fake != nil) != tt.wantFake {
				t.Fatalf("fake = %v, want %v", env.Fake != nil, tt.wantFake)
			}
			if !tt.wantFake && (env.Config.ClientID != all[EnvClientID] || env.Config.RedirectURL != all[EnvRedirectURL] ||
				!strings.Contains(env.Where(), "real jAccount")) {
				t.Errorf("real config = %v, %s", env.Config, env.Where())
			}
			if tt.wantFake && (env.Config.Endpoint.Issuer != env.Fake.Issuer() || env.Config.ClientSecret != env.Fake.ClientSecret()) {
				t.Errorf("fake config = %v", env.Config)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "", "abc": "***", "abcd": "****", "abcdefgh": "abcd…", "张三李四王五": "张三李四…"} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
