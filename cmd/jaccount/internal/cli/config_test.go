package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// configOf runs `jaccount config --format json` and returns key -> entry.
func configOf(t *testing.T, h *harness, args ...string) map[string]configEntry {
	t.Helper()
	r := h.mustRun(append([]string{"config", "--format", "json"}, args...)...)
	var entries []configEntry
	if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil {
		t.Fatalf("config output: %v\n%s", err, r.stdout)
	}
	m := map[string]configEntry{}
	for _, e := range entries {
		m[e.Key] = e
	}
	return m
}

// TestConfigPrecedence: a flag beats the environment, which beats the
// file (a profile's section beats its top level), which beats the default.
func TestConfigPrecedence(t *testing.T) {
	t.Parallel()
	const file = `client_id: from-file
client_secret: file-secret-value
redirect_url: http://127.0.0.1:9000/file
scopes: [openid, lessons]
profiles:
  work:
    client_id: from-work-section
    api_url: https://api.example.edu
    data_url: https://data.example.edu
`
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		key   string
		value string
		src   string
	}{
		{"default", nil, nil, "jaccount_url", "https://jaccount.sjtu.edu.cn", "default"},
		{"file", nil, nil, "client_id", "from-file", "file"},
		{"file list of scopes", nil, nil, "scopes", "openid lessons", "file"},
		{"profile section", nil, []string{"--profile", "work"}, "client_id", "from-work-section", "file"},
		{"profile section only for its profile", nil, nil, "api_url", "https://api.sjtu.edu.cn", "default"},
		{"data url default", nil, nil, "data_url", "https://graphql.sjtu.edu.cn", "default"},
		{"data url from profile section", nil, []string{"--profile", "work"}, "data_url", "https://data.example.edu", "file"},
		{"data url env beats file", map[string]string{EnvDataURL: "http://127.0.0.1:9/data"}, []string{"--profile", "work"}, "data_url", "http://127.0.0.1:9/data", "env " + EnvDataURL},
		{"env beats file", map[string]string{EnvClientID: "from-env"}, nil, "client_id", "from-env", "env " + EnvClientID},
		{"env beats profile section", map[string]string{EnvClientID: "from-env"}, []string{"--profile", "work"}, "client_id", "from-env", "env " + EnvClientID},
		{"flag beats env", map[string]string{EnvClientID: "from-env"}, []string{"--client-id", "from-flag"}, "client_id", "from-flag", "flag --client-id"},
		{"profile from env", map[string]string{EnvProfile: "work"}, nil, "profile", "work", "env " + EnvProfile},
		{"profile flag beats env", map[string]string{EnvProfile: "work"}, []string{"--profile", "home"}, "profile", "home", "flag --profile"},
		{"redirect from env", map[string]string{EnvRedirectURL: "http://127.0.0.1:8080/callback"}, nil, "redirect_url", "http://127.0.0.1:8080/callback", "env " + EnvRedirectURL},
		{"scopes from env, commas", map[string]string{EnvScopes: "openid,exams"}, nil, "scopes", "openid exams", "env " + EnvScopes},
		{"secret from env, hidden", map[string]string{EnvClientSecret: "env-secret-value"}, nil, "client_secret", "(set, hidden)", "env " + EnvClientSecret},
		{"secret from file, hidden", nil, nil, "client_secret", "(set, hidden)", "file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfg := filepath.Join(dir, "config.yaml")
			if err := os.WriteFile(cfg, []byte(file), 0o600); err != nil {
				t.Fatal(err)
			}
			h := &harness{t: t, dir: dir, vars: map[string]string{EnvConfigDir: dir}}
			for k, v := range tt.env {
				h.vars[k] = v
			}
			r := h.mustRun(append([]string{"config", "--format", "json"}, tt.args...)...)
			for _, secret := range []string{"file-secret-value", "env-secret-value"} {
				if strings.Contains(r.stdout+r.stderr, secret) {
					t.Fatalf("config printed the client secret:\n%s", r)
				}
			}
			got := configOf(t, h, tt.args...)[tt.key]
			if got.Value != tt.value || got.Source != tt.src {
				t.Errorf("%s = %q from %q, want %q from %q", tt.key, got.Value, got.Source, tt.value, tt.src)
			}
		})
	}
}

// TestConfigFileErrors: an unknown key or an explicit file that does not
// exist is a usage error; a readable secret draws a warning.
func TestConfigFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	h := &harness{t: t, dir: dir, vars: map[string]string{EnvConfigDir: dir}}
	typo := write("typo.yaml", "clientid: x\n", 0o600)
	if r := h.run("config", "--config", typo); r.code != ExitUsage || !strings.Contains(r.stderr, "clientid") {
		t.Errorf("unknown key: %s", r)
	}
	if r := h.run("config", "--config", filepath.Join(dir, "missing.yaml")); r.code != ExitUsage {
		t.Errorf("missing explicit file: %s", r)
	}
	open := write("open.yaml", "client_secret: s3cr3t-value\n", 0o644)
	r := h.mustRun("config", "--config", open)
	if !strings.Contains(r.stderr, "other users can read it") || strings.Contains(r.stdout+r.stderr, "s3cr3t-value") {
		t.Errorf("world-readable secret: %s", r)
	}
	if r := h.run("config", "--profile", "../etc"); r.code != ExitUsage {
		t.Errorf("bad profile name: %s", r)
	}
}

// TestUsageErrors exit with code 2 and one line on stderr.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, args := range [][]string{
		{"nosuchcommand"},
		{"whoami", "--nosuchflag"},
		{"whoami", "extra-argument"},
		{"whoami", "--format", "xml"},
		{"config", "--format", "yaml"},
		{"login", "--timeout", "soon"},
	} {
		r := h.run(args...)
		if r.code != ExitUsage || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "jaccount: ") || r.stdout != "" {
			t.Errorf("%v: %s", args, r)
		}
	}
	// No application configured.
	h.vars = map[string]string{EnvConfigDir: h.dir}
	if r := h.run("login"); r.code != ExitUsage || !strings.Contains(r.stderr, EnvClientID) {
		t.Errorf("login without a client: %s", r)
	}
	// A data URL that is not http(s).
	h = newHarness(t)
	h.vars[EnvDataURL] = "graphql.sjtu.edu.cn"
	if r := h.run("config"); r.code != ExitUsage || !strings.Contains(r.stderr, EnvDataURL) {
		t.Errorf("config with a data URL without a scheme: %s", r)
	}
	// A redirect URL that is not loopback http.
	h = newHarness(t)
	h.vars[EnvRedirectURL] = "https://app.example.edu/callback"
	if r := h.run("login"); r.code != ExitUsage || !strings.Contains(r.stderr, "loopback") {
		t.Errorf("login with a non-loopback redirect: %s", r)
	}
}

// TestAPIErrorExitCode: an API failure exits 4 with one line, and the
// line holds no token.
func TestAPIErrorExitCode(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.mustRun("login")
	tok := strings.TrimSpace(h.mustRun("token").stdout)
	h.fake.Inject(jaccounttest.Errno(10008, "GETDATA_NOT_FOUND"))
	r := h.run("whoami")
	if r.code != ExitAPI || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "10008") || strings.Contains(r.stderr, tok) {
		t.Errorf("whoami with an API error: %s", r)
	}
}
