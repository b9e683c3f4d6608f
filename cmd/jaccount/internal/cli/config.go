package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
)

// The environment variables jaccount reads.
const (
	EnvClientID     = "JACCOUNT_CLIENT_ID"
	EnvClientSecret = "JACCOUNT_CLIENT_SECRET"
	EnvRedirectURL  = "JACCOUNT_REDIRECT_URL"
	EnvScopes       = "JACCOUNT_SCOPES"
	EnvProfile      = "JACCOUNT_PROFILE"
	EnvURL          = "JACCOUNT_URL"
	EnvAPIURL       = "JACCOUNT_API_URL"
	EnvDataURL      = "JACCOUNT_DATA_URL"
	EnvConfig       = "JACCOUNT_CONFIG"
	EnvConfigDir    = "JACCOUNT_CONFIG_DIR"
)

// Defaults of the settings.
const (
	defaultProfile     = "default"
	defaultJAccountURL = "https://jaccount.sjtu.edu.cn"
	// defaultRedirectURL has no port: login listens on any free one.
	defaultRedirectURL = "http://127.0.0.1/callback"
)

// defaultScopes are what login asks for unless told otherwise: the ID token
// and the scopes of the operations the commands call.
var defaultScopes = []string{"openid", "basic", "essential", "profile", "lessons", "exams", "card_info", "card_transactions"}

// fileConfig is the configuration file (YAML). Keys under profiles.NAME
// override the top-level ones for that profile.
type fileConfig struct {
	fileSettings `yaml:",inline"`
	Profiles     map[string]fileSettings `yaml:"profiles"`
}

type fileSettings struct {
	ClientID     string   `yaml:"client_id"`
	ClientSecret string   `yaml:"client_secret"`
	RedirectURL  string   `yaml:"redirect_url"`
	Scopes       []string `yaml:"scopes"`
	JAccountURL  string   `yaml:"jaccount_url"`
	APIURL       string   `yaml:"api_url"`
	DataURL      string   `yaml:"data_url"`
}

// value is one setting and where it came from.
type value struct {
	v      string
	source string // "flag --x", "env X", "file", "default", "fake"
}

// settings is the effective configuration.
type settings struct {
	profile      value
	clientID     value
	clientSecret value
	redirectURL  value
	scopes       value // space-separated
	jaccountURL  value
	apiURL       value
	dataURL      value  // the data resources' server (api.DataClient)
	configFile   string // the configuration file read, or the one that would be
	configDir    string // where tokens live: <dir>/profiles/<profile>/
	fake         bool
	// tokenHTTP is the token endpoint's client, nil for auth's default:
	// the survey observes the renewal through it.
	tokenHTTP *http.Client
}

// flagValues are the global flags that feed the settings.
type flagValues struct {
	profile, clientID, config string
	redirectURL, scopes       string // login only
	timeFormat                string // commands with --format
	fake                      bool
}

var profileRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// pick returns the first non-empty of the flag, the environment variable,
// the file's value and the default, with its source.
func pick(flag, flagName string, env *Env, envName, file, def string) value {
	if flag != "" {
		return value{flag, "flag --" + flagName}
	}
	if envName != "" {
		if v, ok := env.getenv(envName); ok {
			return value{v, "env " + envName}
		}
	}
	if file != "" {
		return value{file, "file"}
	}
	return value{def, "default"}
}

// configDir is where jaccount keeps its files: $JACCOUNT_CONFIG_DIR, else
// the user's configuration directory + "/jaccount".
func configDir(env *Env) (string, error) {
	if d, ok := env.getenv(EnvConfigDir); ok {
		return d, nil
	}
	if env.UserConfigDir == nil {
		return "", errors.New("no user configuration directory")
	}
	d, err := env.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the configuration directory (set %s): %w", EnvConfigDir, err)
	}
	return filepath.Join(d, "jaccount"), nil
}

// loadSettings resolves the configuration: flags, then environment, then
// the configuration file, then defaults.
func loadSettings(env *Env, f *flagValues, warn func(string)) (*settings, error) {
	dir, err := configDir(env)
	if err != nil {
		return nil, err
	}
	s := &settings{configDir: dir}
	s.profile = pick(f.profile, "profile", env, EnvProfile, "", defaultProfile)
	if !profileRE.MatchString(s.profile.v) {
		return nil, usagef("profile name %q: use letters, digits, '.', '_' and '-'", s.profile.v)
	}
	path := pick(f.config, "config", env, EnvConfig, "", filepath.Join(dir, "config.yaml"))
	s.configFile = path.v
	fc, err := readConfigFile(path.v, path.source != "default", warn)
	if err != nil {
		return nil, err
	}
	fs := fc.fileSettings
	if p, ok := fc.Profiles[s.profile.v]; ok {
		fs = merge(fs, p)
	}
	s.clientID = pick(f.clientID, "client-id", env, EnvClientID, fs.ClientID, "")
	s.clientSecret = pick("", "", env, EnvClientSecret, fs.ClientSecret, "")
	s.redirectURL = pick(f.redirectURL, "redirect-url", env, EnvRedirectURL, fs.RedirectURL, defaultRedirectURL)
	s.scopes = pick(normScopes(f.scopes), "scopes", env, EnvScopes, strings.Join(fs.Scopes, " "), strings.Join(defaultScopes, " "))
	s.scopes.v = normScopes(s.scopes.v)
	s.jaccountURL = pick("", "", env, EnvURL, fs.JAccountURL, defaultJAccountURL)
	s.apiURL = pick("", "", env, EnvAPIURL, fs.APIURL, api.DefaultBaseURL)
	s.dataURL = pick("", "", env, EnvDataURL, fs.DataURL, api.DefaultDataBaseURL)
	for _, u := range []value{s.jaccountURL, s.apiURL, s.dataURL} {
		if p, err := url.Parse(u.v); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return nil, usagef("%s (%s) is not an http(s) URL", u.v, u.source)
		}
	}
	return s, nil
}

// normScopes accepts scopes separated by spaces or commas.
func normScopes(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }), " ")
}

// merge returns base with the non-empty fields of over.
func merge(base, over fileSettings) fileSettings {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&base.ClientID, over.ClientID)
	set(&base.ClientSecret, over.ClientSecret)
	set(&base.RedirectURL, over.RedirectURL)
	set(&base.JAccountURL, over.JAccountURL)
	set(&base.APIURL, over.APIURL)
	set(&base.DataURL, over.DataURL)
	if len(over.Scopes) > 0 {
		base.Scopes = over.Scopes
	}
	return base
}

// readConfigFile reads the YAML configuration. A missing file is an empty
// configuration unless it was asked for explicitly. Unknown keys are
// errors, so that a typo does not silently fall back to a default.
func readConfigFile(path string, explicit bool, warn func(string)) (*fileConfig, error) {
	var fc fileConfig
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		return &fc, nil
	case err != nil:
		return nil, usagef("configuration file: %w", err)
	}
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		return nil, usagef("configuration file %s: %w", path, err)
	}
	if runtime.GOOS != "windows" && hasSecret(&fc) {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			warn(fmt.Sprintf("warning: %s holds a client_secret and other users can read it (chmod 600 it)", path))
		}
	}
	return &fc, nil
}

func hasSecret(fc *fileConfig) bool {
	if fc.ClientSecret != "" {
		return true
	}
	for _, p := range fc.Profiles {
		if p.ClientSecret != "" {
			return true
		}
	}
	return false
}

// authConfig is the OAuth client the settings describe.
func (s *settings) authConfig() *auth.Config {
	base := strings.TrimRight(s.jaccountURL.v, "/")
	return &auth.Config{
		HTTPClient:   s.tokenHTTP,
		ClientID:     s.clientID.v,
		ClientSecret: s.clientSecret.v,
		RedirectURL:  s.redirectURL.v,
		Scopes:       strings.Fields(s.scopes.v),
		Endpoint: auth.Endpoint{
			AuthURL:   base + "/oauth2/authorize",
			TokenURL:  base + "/oauth2/token",
			LogoutURL: base + "/oauth2/logout",
			Issuer:    base + "/oauth2/",
		},
	}
}

// requireClient fails unless a client id and secret are configured.
func (s *settings) requireClient() error {
	var missing []string
	if s.clientID.v == "" {
		missing = append(missing, EnvClientID+" (or --client-id)")
	}
	if s.clientSecret.v == "" {
		missing = append(missing, EnvClientSecret)
	}
	if len(missing) > 0 {
		return usagef("no jAccount application configured: set %s, or client_id and client_secret in %s; or try --fake",
			strings.Join(missing, " and "), s.configFile)
	}
	return nil
}

// loopback checks that the redirect URL is http on a loopback address and
// returns the address to listen on and the callback path.
func loopback(redirect string) (addr, path string, err error) {
	u, err := url.Parse(redirect)
	if err != nil {
		return "", "", usagef("redirect URL: %w", err)
	}
	ip := net.ParseIP(u.Hostname())
	if u.Scheme != "http" || ip == nil || !ip.IsLoopback() || u.RawQuery != "" || u.Fragment != "" {
		return "", "", usagef("redirect URL %q: login needs a loopback http URL such as http://127.0.0.1:8080/callback", redirect)
	}
	port := u.Port()
	if port == "" {
		port = "0"
	}
	path = u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return net.JoinHostPort(u.Hostname(), port), path, nil
}
