package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// sessionCookie is the name of the app's session cookie.
const sessionCookie = "webapp_session"

// sessionTTL is how long a session lasts.
const sessionTTL = 8 * time.Hour

// session is what the app keeps about a browser, in a signed cookie (like
// Flask's session): the pending login while the browser is at jAccount,
// then the logged-in user. The cookie is signed, not encrypted: it holds no
// token, only the one-time state, nonce and PKCE verifier of a login in
// progress (HttpOnly keeps them from scripts) and the profile it shows.
type session struct {
	Login   *pendingLogin `json:"login,omitempty"`
	User    *user         `json:"user,omitempty"`
	Expires int64         `json:"exp"`
}

// pendingLogin is one login attempt's secrets, checked at the callback.
type pendingLogin struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
}

// user is the part of the profile the app shows.
type user struct {
	Account  string `json:"account"`
	Name     string `json:"name"`
	Code     string `json:"code"`
	Type     string `json:"type"`
	Organize string `json:"organize"`
	Email    string `json:"email"`
}

// errBadSession is any cookie that is missing, malformed, forged or expired.
var errBadSession = errors.New("no valid session")

// sessions signs and checks session cookies with HMAC-SHA256.
type sessions struct {
	key    []byte
	secure bool // set the Secure attribute (the app is served over https)
	now    func() time.Time
}

func (s *sessions) sign(payload string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// encode returns the cookie value of sess: payload "." signature.
func (s *sessions) encode(sess session) (string, error) {
	sess.Expires = s.now().Add(sessionTTL).Unix()
	b, err := json.Marshal(sess)
	if err != nil {
		return "", fmt.Errorf("encode session: %w", err)
	}
	payload := base64.RawURLEncoding.EncodeToString(b)
	return payload + "." + s.sign(payload), nil
}

// decode checks a cookie value's signature and expiry and returns the
// session.
func (s *sessions) decode(value string) (session, error) {
	payload, sig, ok := strings.Cut(value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.sign(payload))) {
		return session{}, errBadSession
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return session{}, errBadSession
	}
	var sess session
	if err := json.Unmarshal(b, &sess); err != nil || s.now().Unix() >= sess.Expires {
		return session{}, errBadSession
	}
	return sess, nil
}

// load returns the request's session; a missing or bad cookie is an empty
// session.
func (s *sessions) load(r *http.Request) session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}
	}
	sess, err := s.decode(c.Value)
	if err != nil {
		return session{}
	}
	return sess
}

// save sets the session cookie.
func (s *sessions) save(w http.ResponseWriter, sess session) error {
	v, err := s.encode(sess)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: v, Path: "/", MaxAge: int(sessionTTL / time.Second),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	return nil
}

// clear deletes the session cookie.
func (s *sessions) clear(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}
