package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
)

// List is one reply of a list operation: the entities with the envelope's
// paging data.
type List[T any] struct {
	// Items are the entities of this reply.
	Items []T
	// Total is the number of entities in the whole result, which may exceed
	// len(Items) when the result is paged.
	Total int64
	// NextToken, when not empty, asks for the following page.
	NextToken string
}

// envelope is the common reply {errno, error, total, nextToken, entities}.
type envelope[T any] struct {
	Errno     int    `json:"errno"`
	Error     string `json:"error"`
	Total     int64  `json:"total"`
	NextToken string `json:"nextToken"`
	Entities  []T    `json:"entities"`
}

// errnoMissing marks an envelope without errno; no server sends this value.
const errnoMissing = math.MinInt

// get performs GET path?rawQuery and decodes the envelope of a 2xx reply;
// every other outcome is an *Error.
func get[T any](ctx context.Context, c *Client, path, rawQuery string, single bool) (*envelope[T], error) {
	if ctx == nil {
		return nil, errors.New("jaccount api: nil Context")
	}
	st := newCallState(ctx, http.MethodGet, path)
	st.typed = true
	req, err := c.newRequest(st, &st.url, path, rawQuery)
	if err != nil {
		return nil, err
	}
	st.rreq.Request = req
	resp, err := c.retry.Do(&st.rreq)
	if err != nil {
		return nil, transportError(st, err)
	}
	// Closing returns the buffer to the pool, after decoding.
	defer resp.Body.Close()
	b, ok := resp.Body.(*body)
	if !ok { // cannot happen: bufferTransport is always in the stack
		return nil, &Error{Method: st.method, Path: path, StatusCode: resp.StatusCode, Attempts: st.attempts,
			Err: ErrInvalidResponse, Message: "unbuffered response body"}
	}
	env := &envelope[T]{Errno: errnoMissing}
	if err := decode(resp, b.buf.Bytes(), env, st, single); err != nil {
		return nil, err
	}
	return env, nil
}

// decode fills env from a buffered reply, or returns the *Error it amounts
// to. Success needs a 2xx status, a JSON object with errno == 0 and an
// entities array, not empty if single; anything else fails and nothing
// partial is returned.
func decode[T any](resp *http.Response, data []byte, env *envelope[T], st *callState, single bool) error {
	jsonErr := json.Unmarshal(data, env)
	ok2xx := resp.StatusCode >= 200 && resp.StatusCode <= 299
	isEnvelope := jsonErr == nil && env.Errno != errnoMissing
	if ok2xx && isEnvelope && env.Errno == 0 && env.Entities != nil && (!single || len(env.Entities) > 0) {
		return nil
	}
	e := &Error{Method: st.method, Path: st.path, StatusCode: resp.StatusCode, Attempts: st.attempts}
	if d, ok := retryAfter(resp); ok {
		e.RetryAfter = d
	}
	if isEnvelope {
		e.Errno = env.Errno
		e.Message = sanitize(env.Error, maxSnippet, st.secrets()...)
	} else {
		e.Body = sanitize(string(data), maxSnippet, st.secrets()...)
	}
	switch {
	case !ok2xx:
		// The status says it all; a non-JSON error page is common here.
		if e.Message == "" {
			e.Message = http.StatusText(resp.StatusCode)
		}
	case jsonErr != nil:
		e.Message = "reply is not valid JSON"
		e.Err = fmt.Errorf("%w: %w", ErrInvalidResponse, jsonErr)
	case !isEnvelope:
		e.Message = "reply is not a jAccount envelope (no errno)"
		e.Err = ErrInvalidResponse
	case env.Errno != 0:
		if e.Message == "" {
			e.Message = "errno without a message"
		}
	case env.Entities == nil:
		e.Message = "reply has no entities array"
		e.Err = ErrInvalidResponse
		e.Body = sanitize(string(data), maxSnippet, st.secrets()...)
	default: // single and empty
		e.Message = "reply has no entity"
		e.Err = ErrNoEntity
	}
	return e
}

// transportError turns a failure without a usable response into an *Error
// whose chain still holds the cause (a context error, a net error, or the
// TokenSource's own error) and whose text holds no URL.
func transportError(st *callState, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	e := &Error{Method: st.method, Path: st.path, Attempts: st.attempts}
	var te *tokenError
	var tl *tooLargeError
	switch {
	case errors.As(err, &te):
		te.describe(e, st.secrets()...)
	case errors.As(err, &tl):
		e.StatusCode = tl.status
		e.Err = ErrResponseTooLarge
		e.Message = fmt.Sprintf("reply exceeds the %d-byte size cap", tl.limit)
		e.Body = sanitize(string(tl.head), maxSnippet, st.secrets()...)
	default:
		e.Err = err
		e.Message = sanitize(err.Error(), 4*maxSnippet, st.secrets()...)
	}
	return e
}

// getOne returns the single entity of an operation that yields one.
func getOne[T any](ctx context.Context, c *Client, path string) (*T, error) {
	env, err := get[T](ctx, c, path, "", true)
	if err != nil {
		return nil, err
	}
	return &env.Entities[0], nil
}

// getList returns the entities of a list operation.
func getList[T any](ctx context.Context, c *Client, path, rawQuery string) (*List[T], error) {
	env, err := get[T](ctx, c, path, rawQuery, false)
	if err != nil {
		return nil, err
	}
	return &List[T]{Items: env.Entities, Total: env.Total, NextToken: env.NextToken}, nil
}
