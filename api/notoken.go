package api

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"golang.org/x/oauth2"
)

// NoToken returns the TokenSource of a client without credentials: a client
// built on it (NewClient(NoToken())) sends no token at all. It is for the
// operations the spec lets anyone call, whose method's doc says "No token is
// needed" (the school calendar, Enterprise.GetCalendar, which a recorded
// call shows answering without one). Any other operation is sent without a
// token too, and jAccount refuses it as it refuses a missing token (HTTP 403,
// errno 10002): the error matches ErrUnauthorized, and nothing is refreshed.
//
// A client with a token sends it to those operations as well (they take
// one), so a program that has a token needs no second client. NoToken is a
// value rather than a nil TokenSource, which NewClient still refuses, so
// that a token source forgotten by mistake does not silently become an
// anonymous client.
func NoToken() oauth2.TokenSource { return noToken{} }

// noToken is NoToken's source. The client never asks it for a token
// (authTransport knows it); code that does, such as oauth2.NewClient, is
// told there is none.
type noToken struct{}

// errNoToken is what noToken.Token returns.
var errNoToken = errors.New("jaccount api: api.NoToken has no token")

// Token fails with errNoToken.
func (noToken) Token() (*oauth2.Token, error) { return nil, errNoToken }

// String names the source; there is no secret to hide.
func (noToken) String() string { return "api.NoToken()" }

// GoString is String, for %#v.
func (n noToken) GoString() string { return n.String() }

// Format makes every fmt verb print String.
func (n noToken) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, n.String()) }

// LogValue is String, for slog.
func (n noToken) LogValue() slog.Value { return slog.StringValue(n.String()) }
