package jaccounttest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

var (
	ticketRE = regexp.MustCompile(`name="ticket" value="([^"]+)"`)
	formRE   = regexp.MustCompile(`data-form="(login|consent)"`)
)

// Login plays the browser's part of the authorize flow against the fake's
// HTML pages: it opens authorizeURL, fills in the login form with username
// and password when it is shown, approves the consent, and returns the URL
// the fake redirects to (the client's redirect URI with code and state, or
// with error). It does not follow that redirect.
//
// client's cookie jar keeps the fake's login session, so a second Login
// with the same client skips the login form, as a browser would; a nil
// client gets a fresh jar each time.
func (s *Server) Login(ctx context.Context, client *http.Client, authorizeURL, username, password string) (*url.URL, error) {
	return s.login(ctx, client, authorizeURL, username, password, "approve")
}

// Decline is Login with the consent declined: it returns the client's
// redirect URI with error=access_denied and the state. The consent is
// shown only for scopes the user has not approved yet in client's login
// session, so pass a client that has not approved them (or nil).
func (s *Server) Decline(ctx context.Context, client *http.Client, authorizeURL, username, password string) (*url.URL, error) {
	return s.login(ctx, client, authorizeURL, username, password, "deny")
}

// login plays the browser and answers the consent form with action.
func (s *Server) login(ctx context.Context, client *http.Client, authorizeURL, username, password, action string) (*url.URL, error) {
	c := &http.Client{Transport: s.ts.Client().Transport}
	if client != nil {
		*c = *client
	}
	if c.Jar == nil {
		c.Jar, _ = cookiejar.New(nil) // cookiejar.New never fails without options
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authorizeURL, nil)
	if err != nil {
		return nil, fmt.Errorf("jaccounttest: login: %w", err)
	}
	for range 3 { // at most the authorize page, the login form and the consent form
		resp, err := c.Do(req)
		if err != nil {
			return nil, fmt.Errorf("jaccounttest: login: %w", err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("jaccounttest: login: read %s: %w", req.URL.Path, err)
		}
		if resp.StatusCode == http.StatusFound {
			return resp.Location()
		}
		form, ticket := formRE.FindSubmatch(body), ticketRE.FindSubmatch(body)
		if resp.StatusCode != http.StatusOK || form == nil || ticket == nil {
			return nil, fmt.Errorf("jaccounttest: login: %s answered %s without a form", req.URL.Path, resp.Status)
		}
		if string(form[1]) == "login" && req.Method == http.MethodPost && strings.Contains(string(body), `id="error"`) {
			return nil, errors.New("jaccounttest: login: wrong username or password")
		}
		vals := url.Values{"ticket": {string(ticket[1])}, "action": {action}}
		if string(form[1]) == "login" {
			vals = url.Values{"ticket": {string(ticket[1])}, "action": {"login"}, "username": {username}, "password": {password}}
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/oauth2/authorize", strings.NewReader(vals.Encode()))
		if err != nil {
			return nil, fmt.Errorf("jaccounttest: login: %w", err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return nil, errors.New("jaccounttest: login: the fake never redirected")
}
