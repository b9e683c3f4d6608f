package api

import (
	"log/slog"
	"strings"
	"sync"

	"github.com/oauth-jaccount/jaccount-go/internal/membername"
	"github.com/oauth-jaccount/jaccount-go/internal/wire"
)

// Drift is a difference between a reply and the spec the SDK was generated
// from, seen while decoding it: a member a model lacks (jAccount added a
// field; it is kept in the model's AdditionalProperties), or a value whose
// JSON type contradicts its field (the call fails with ErrInvalidResponse).
// It holds names and types only, never a value: a member name that looks
// like data (digits, a UUID, an e-mail address, an account) is written "*".
//
// A client reports each drift once per operation, model and member (see
// WithDriftHandler). `jaccount survey` reports every difference of a whole
// login, for the maintainers (docs/survey.md).
type Drift struct {
	// Operation is the spec's operationId ("getMyProfile"), "" for a path
	// the spec does not describe (Get, GetList).
	Operation string
	// Kind is what drifted.
	Kind DriftKind
	// Model is gen's type that lacks the member, for DriftMember
	// ("Identity"); for DriftType, "".
	Model string
	// Member is the member's path in an entity: member names joined by
	// ".", "[]" marking an array's elements ("identities[].photoUrl"). A
	// path outside the entities (an envelope member) starts with "$.":
	// "$.extra".
	Member string
	// Type is the value's JSON type: object, array, string, number, boolean
	// or null.
	Type string
	// Want is the Go type of the field, for DriftType ("int64"); "" for
	// DriftMember.
	Want string
}

// DriftKind says what a Drift is.
type DriftKind uint8

// The kinds of drift.
const (
	// DriftMember is a member the model lacks.
	DriftMember DriftKind = iota + 1
	// DriftType is a value whose JSON type contradicts the model.
	DriftType
)

// String is "member" or "type".
func (k DriftKind) String() string {
	switch k {
	case DriftMember:
		return "member"
	case DriftType:
		return "type"
	}
	return "unknown"
}

// WithDriftHandler calls f for each drift of a decoded reply from the spec
// (see Drift): once per operation, model and member for the life of the
// client (and of those WithTokenSource makes from it), up to
// maxDriftsReported kinds of drift. f runs in the calling goroutine while the
// reply is decoded: it must be quick and must not call the client. Without
// a handler, a client given WithLogger logs each drift once at debug level
// ("jaccount api: reply differs from the spec"). Nil f means no handler.
// Detecting drift costs nothing while replies match the spec.
func WithDriftHandler(f func(Drift)) Option {
	return optionFunc(func(s *settings) error {
		s.drift = nil
		if f != nil {
			s.drift = &driftSet{handler: f}
		}
		return nil
	})
}

// maxDriftsReported bounds the kinds of drift a client remembers, so that
// a reply of endless distinct member names cannot grow it without bound;
// beyond it nothing more is reported.
const maxDriftsReported = 1024

// driftSet is a client's drift handler (nil: none) and the kinds of drift
// it reported.
type driftSet struct {
	handler func(Drift)
	mu      sync.Mutex
	seen    map[string]struct{}
}

// first records key and reports whether it is new, and not beyond
// maxDriftsReported.
func (s *driftSet) first(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[key]; ok || len(s.seen) >= maxDriftsReported {
		return false
	}
	if s.seen == nil {
		s.seen = map[string]struct{}{}
	}
	s.seen[key] = struct{}{}
	return true
}

// reportsDrift reports whether a call of c looks for drift: a handler, or a
// logger that logs at debug level.
func (c *core) reportsDrift(st *callState) bool {
	s := &c.settings
	return s.drift != nil && (s.drift.handler != nil || s.logger != nil && s.logger.Enabled(st, slog.LevelDebug))
}

// Drift implements wire.DriftReporter for the call's decoder.
func (s *callState) Drift(x *wire.Drift) {
	c := s.driftOf
	d := Drift{Kind: DriftMember, Model: x.Model, Type: x.Type}
	name := string(x.Member)
	if x.Want != nil {
		d.Kind, d.Want = DriftType, x.Want.String()
	} else if !membername.Plausible(name, nil) {
		name = membername.Placeholder
	}
	if op := operationOf(c.server, s.method, s.path); op != nil {
		d.Operation = op.id
	}
	if !c.settings.drift.first(d.Operation + "\x00" + d.Kind.String() + "\x00" + d.Model + "\x00" + name + "\x00" + d.Want) {
		return
	}
	path := x.Path()
	if d.Kind == DriftMember && len(path) > 0 {
		path[len(path)-1] = name
	}
	d.Member = memberPath(path)
	if h := c.settings.drift.handler; h != nil {
		h(d)
		return
	}
	c.settings.logger.LogAttrs(s, slog.LevelDebug, "jaccount api: reply differs from the spec",
		slog.String("operation", d.Operation), slog.String("drift", d.Kind.String()), slog.String("model", d.Model),
		slog.String("member", d.Member), slog.String("type", d.Type), slog.String("want", d.Want))
}

// memberPath is a value's path in an entity (Drift.Member) from its path in
// the reply: the envelope and the entities array left out, "[]" joined to
// the member it marks.
func memberPath(path []string) string {
	prefix := "$."
	if len(path) >= 2 && path[0] == "entities" && path[1] == "[]" {
		path, prefix = path[2:], ""
	}
	var b strings.Builder
	b.WriteString(prefix)
	for i, el := range path {
		if el != "[]" && i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(el)
	}
	return b.String()
}
