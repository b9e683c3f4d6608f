package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/oauth-jaccount/jaccount-go/auth"
)

// The grants a profile may be logged in with.
const (
	grantAuthCode          = "authorization_code"
	grantClientCredentials = "client_credentials"
)

// loginInfo is what login records beside the token: how to renew it. It
// holds no secret.
type loginInfo struct {
	Grant    string    `json:"grant"`
	ClientID string    `json:"client_id"`
	Scopes   []string  `json:"scopes,omitempty"`
	Subject  string    `json:"subject,omitempty"`
	LoggedIn time.Time `json:"logged_in"`
}

// profileDir is the directory of one profile's files.
func (s *settings) profileDir() string {
	return filepath.Join(s.configDir, "profiles", s.profile.v)
}

// tokenStore is the profile's token file: JSON, mode 0600, in a 0700
// directory, written atomically and locked across refreshes.
func (s *settings) tokenStore() *auth.FileStore {
	return auth.NewFileStore(filepath.Join(s.profileDir(), "token.json"))
}

func (s *settings) infoPath() string { return filepath.Join(s.profileDir(), "login.json") }

// saveLogin stores a new login: the token, then what it was obtained with.
func (s *settings) saveLogin(ctx context.Context, tok *auth.Token, info *loginInfo) error {
	if err := os.MkdirAll(s.profileDir(), 0o700); err != nil {
		return fmt.Errorf("saving the login: %w", err)
	}
	if tok != nil {
		if err := s.tokenStore().Save(ctx, tok); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(s.infoPath(), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("saving the login: %w", err)
	}
	return nil
}

// loadLogin reads what login recorded; a profile never logged in gives an
// error matching auth.ErrNoToken.
func (s *settings) loadLogin() (*loginInfo, error) {
	b, err := os.ReadFile(s.infoPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: profile %s", auth.ErrNoToken, s.profile.v)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the login: %w", err)
	}
	var info loginInfo
	if err := json.Unmarshal(b, &info); err != nil || info.ClientID == "" ||
		(info.Grant != grantAuthCode && info.Grant != grantClientCredentials) {
		return nil, &corruptLoginError{file: s.infoPath(), err: err}
	}
	return &info, nil
}

// checkToken reads the token file of the profile, which has a login record,
// and reports one that is not a token jaccount saved, or none, as a
// *corruptLoginError, before the token source meets it (in the middle of an
// API call). A file that cannot be read (permissions) gives the reading's
// error.
func (s *settings) checkToken(ctx context.Context) error {
	store := s.tokenStore()
	_, err := store.Load(ctx)
	var pe *fs.PathError
	switch {
	case err == nil || errors.As(err, &pe):
		return err
	case errors.Is(err, auth.ErrNoToken):
		return &corruptLoginError{file: store.Path(), missing: true, err: err}
	}
	return &corruptLoginError{file: store.Path(), err: err}
}

// removeLogin deletes the profile's token and login record and reports
// whether there was a token.
func (s *settings) removeLogin() (bool, error) {
	tok := s.tokenStore().Path()
	_, err := os.Stat(tok)
	had := err == nil
	for _, p := range []string{tok, s.infoPath(), tok + ".lock"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return had, fmt.Errorf("removing the login: %w", err)
		}
	}
	_ = os.Remove(s.profileDir()) // only if empty
	return had, nil
}

// tokenSource returns the self-refreshing, persisting source of the
// profile's token, and what login recorded (also with an error, when it
// could be read).
func (s *settings) tokenSource(ctx context.Context) (*auth.TokenSource, *loginInfo, error) {
	info, err := s.loadLogin()
	if err != nil {
		return nil, nil, err
	}
	if s.clientID.v != "" && info.ClientID != s.clientID.v {
		return nil, info, &loginError{why: fmt.Sprintf("profile %s was logged in with client %s, not %s", s.profile.v, info.ClientID, s.clientID.v), profile: s.profile.v}
	}
	if err := s.checkToken(ctx); err != nil {
		return nil, info, err
	}
	cfg := s.authConfig()
	cfg.ClientID = info.ClientID
	if cfg.ClientSecret == "" {
		return nil, info, usagef("no client secret configured: set %s", EnvClientSecret)
	}
	store := auth.WithStore(s.tokenStore())
	var ts *auth.TokenSource
	if info.Grant == grantClientCredentials {
		ts, err = cfg.ClientCredentialsSource(info.Scopes, store)
	} else {
		ts, err = cfg.TokenSource(nil, store)
	}
	return ts, info, err
}
