package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/internal/redact"
)

// Session is a signed-in browser: who logged in, when it ends, and the
// token that protects its logout. Without a SessionStore it travels
// encrypted in the session cookie; with one, the cookie carries only its
// encrypted ID. Printing a Session (fmt, any verb, or slog) hides
// CSRFToken.
type Session struct {
	// ID is a random 130-bit identifier, fresh for every login. Logout
	// revokes it.
	ID string `json:"id"`
	// Claims are the ID token's claims, verified at login.
	Claims auth.IDTokenClaims `json:"claims"`
	// Profile is the user's profile, fetched at login with WithProfile,
	// else nil.
	Profile *api.Profile `json:"profile,omitempty"`
	// CSRFToken is the random token a logout must carry.
	CSRFToken string `json:"csrf"`
	// CreatedAt is when the login completed.
	CreatedAt time.Time `json:"created"`
	// ExpiresAt is when the session ends: the ID token's expiry or
	// CreatedAt plus the maximum age (WithMaxAge), whichever comes first.
	ExpiresAt time.Time `json:"expires"`
}

// String describes the session without its CSRF token.
func (s Session) String() string {
	return fmt.Sprintf("web.Session{ID: %q, Subject: %q, Name: %q, CSRFToken: %s, CreatedAt: %s, ExpiresAt: %s, Profile: %t}",
		s.ID, s.Claims.Subject, s.Claims.Name, redact.Secret(s.CSRFToken),
		s.CreatedAt.Format(time.RFC3339), s.ExpiresAt.Format(time.RFC3339), s.Profile != nil)
}

// GoString is String, so %#v hides the CSRF token too.
func (s Session) GoString() string { return s.String() }

// Format makes every fmt verb print String.
func (s Session) Format(f fmt.State, _ rune) { redact.Write(f, s.String()) }

// LogValue implements slog.LogValuer without the CSRF token.
func (s Session) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", s.ID), slog.String("sub", s.Claims.Subject),
		slog.String("csrf", redact.Secret(s.CSRFToken)), slog.Time("expires", s.ExpiresAt))
}

// ErrNoSession is what a SessionStore's Load returns (wrapped or not) for
// an ID it does not hold, or holds no longer.
var ErrNoSession = errors.New("web: no such session")

// SessionStore keeps sessions server-side (WithSessionStore), in a
// database or a cache shared by the application's instances. The cookie
// then carries only the session's ID, encrypted. Methods are called
// concurrently.
type SessionStore interface {
	// Save stores s under s.ID; it may forget it after s.ExpiresAt.
	Save(ctx context.Context, s *Session) error
	// Load returns the session with this ID, or an error matching
	// ErrNoSession.
	Load(ctx context.Context, id string) (*Session, error)
	// Delete removes the session; deleting an unknown ID is no error.
	Delete(ctx context.Context, id string) error
}

// RevocationStore remembers IDs that must not be accepted again: the
// sessions that logged out (so a copied session cookie replayed after
// logout is refused even though the cookie itself still decrypts) and the
// login attempts already used (so a state is single-use). Entries are
// needed only until the given time, when what they refuse has expired
// anyway. Methods are called concurrently.
//
// The guarantees reach as far as the store is shared: the default, an
// in-memory store, covers one process. Applications running several
// instances share one (a Redis SET NX with an expiry, a table with a unique
// key) through WithRevocationStore.
type RevocationStore interface {
	// Revoke records id until the given time and reports whether it was
	// already recorded, atomically: of two concurrent calls with one id,
	// exactly one reports false.
	Revoke(ctx context.Context, id string, until time.Time) (already bool, err error)
	// Revoked reports whether id is recorded.
	Revoked(ctx context.Context, id string) (bool, error)
}

// DefaultMaxRevocations bounds a MemoryStore's revocation list.
const DefaultMaxRevocations = 100_000

// MemoryStore is an in-memory SessionStore, RevocationStore and per-user
// token store (TokenStore), for tests and single-process applications;
// its contents end with the process. It is safe for concurrent use. The
// zero value is not usable: call NewMemoryStore.
//
// Its revocation list holds at most DefaultMaxRevocations entries. When
// full it first drops expired entries, then those expiring soonest: a
// flood of used login attempts (which expire within the login timeout)
// goes before logged-out sessions (which live as long as the sessions).
type MemoryStore struct {
	mu       sync.Mutex
	sessions map[string]*Session
	revoked  map[string]time.Time
	tokens   map[string]*auth.Token
	maxRev   int
	saves    int
	now      func() time.Time
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{sessions: map[string]*Session{}, revoked: map[string]time.Time{},
		tokens: map[string]*auth.Token{}, maxRev: DefaultMaxRevocations, now: time.Now}
}

// String describes the store by its sizes, never its contents.
func (m *MemoryStore) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return fmt.Sprintf("web.MemoryStore{sessions: %d, revoked: %d, tokens: %d}", len(m.sessions), len(m.revoked), len(m.tokens))
}

// GoString is String.
func (m *MemoryStore) GoString() string { return m.String() }

// Format makes every fmt verb print String.
func (m *MemoryStore) Format(f fmt.State, _ rune) { redact.Write(f, m.String()) }

// LogValue implements slog.LogValuer with the sizes only.
func (m *MemoryStore) LogValue() slog.Value { return slog.StringValue(m.String()) }

// Save implements SessionStore. Expired sessions are dropped now and then.
func (m *MemoryStore) Save(_ context.Context, s *Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.saves++; m.saves%256 == 0 {
		now := m.now()
		maps.DeleteFunc(m.sessions, func(_ string, v *Session) bool { return !now.Before(v.ExpiresAt) })
	}
	c := *s
	m.sessions[s.ID] = &c
	return nil
}

// Load implements SessionStore.
func (m *MemoryStore) Load(_ context.Context, id string) (*Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[id]
	if !ok || !m.now().Before(s.ExpiresAt) {
		return nil, ErrNoSession
	}
	c := *s
	return &c, nil
}

// Delete implements SessionStore.
func (m *MemoryStore) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, id)
	return nil
}

// Revoke implements RevocationStore.
func (m *MemoryStore) Revoke(_ context.Context, id string, until time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if t, ok := m.revoked[id]; ok && now.Before(t) {
		return true, nil
	}
	if len(m.revoked) >= m.maxRev {
		m.evictLocked(now)
	}
	m.revoked[id] = until
	return false, nil
}

// evictLocked drops expired entries and, if that is not enough, the tenth
// of the entries that expire soonest.
func (m *MemoryStore) evictLocked(now time.Time) {
	maps.DeleteFunc(m.revoked, func(_ string, t time.Time) bool { return !now.Before(t) })
	if len(m.revoked) < m.maxRev {
		return
	}
	type entry struct {
		id    string
		until time.Time
	}
	all := make([]entry, 0, len(m.revoked))
	for id, t := range m.revoked {
		all = append(all, entry{id, t})
	}
	slices.SortFunc(all, func(a, b entry) int { return cmp.Or(a.until.Compare(b.until), cmp.Compare(a.id, b.id)) })
	for _, e := range all[:max(1, m.maxRev/10)] {
		delete(m.revoked, e.id)
	}
}

// Revoked implements RevocationStore.
func (m *MemoryStore) Revoked(_ context.Context, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.revoked[id]
	return ok && m.now().Before(t), nil
}

// TokenStore returns the store of subject's token; pass the method to
// WithTokenStore. The token is kept until Delete (which logout calls) or
// the end of the process.
func (m *MemoryStore) TokenStore(subject string) auth.TokenStore {
	return memTokens{m: m, subject: subject}
}

// memTokens is one user's token in a MemoryStore.
type memTokens struct {
	m       *MemoryStore
	subject string
}

// Load implements auth.TokenStore.
func (s memTokens) Load(context.Context) (*auth.Token, error) {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	t, ok := s.m.tokens[s.subject]
	if !ok {
		return nil, fmt.Errorf("%w: none kept for %q", auth.ErrNoToken, s.subject)
	}
	c := *t
	return &c, nil
}

// Save implements auth.TokenStore.
func (s memTokens) Save(_ context.Context, t *auth.Token) error {
	if t == nil {
		return errors.New("web: saving a nil token")
	}
	c := *t
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	s.m.tokens[s.subject] = &c
	return nil
}

// Delete forgets the token (TokenDeleter).
func (s memTokens) Delete(context.Context) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	delete(s.m.tokens, s.subject)
	return nil
}

// TokenDeleter is implemented by token stores that can forget their token.
// Logout calls Delete on the user's store when it implements it, so the
// application stops holding tokens for a user who logged out.
type TokenDeleter interface {
	Delete(ctx context.Context) error
}
