package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/oauth-jaccount/jaccount-go/internal/wire"
)

// List is one reply of a list operation: the entities with the envelope's
// paging data.
type List[T any] struct {
	// Items are the entities of this reply.
	Items []T
	// Total is the envelope's total: for a paged result, the number of
	// entities in the whole result, which may exceed len(Items). jAccount
	// sends 0 on some replies that are not paged.
	Total int64
	// NextToken, when not empty, asks for the following page (operations
	// that page by token).
	NextToken string
}

// envelope is the common reply {errno, error, total, nextToken, entities}.
type envelope[T any] struct {
	Errno     Errno  `json:"errno"`
	Error     string `json:"error"`
	Total     int64  `json:"total"`
	NextToken string `json:"nextToken"`
	Entities  []T    `json:"entities"`
}

// errnoMissing marks an envelope without errno; no server sends this value.
const errnoMissing Errno = math.MinInt

// result says what a call expects in the envelope's entities.
type result uint8

const (
	resultList   result = iota // an array, possibly empty
	resultSingle               // an array with at least one entity
	resultNone                 // anything, or nothing: it is not read
)

// reqBody is an encoded request body: data, or, when stream is set, a body
// streamed from the caller's readers (multipart.go).
type reqBody struct {
	data        []byte
	contentType string
	stream      *streamBody
}

// jsonBody encodes v as a JSON request body.
func jsonBody(v any) (*reqBody, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("jaccount api: encode the request body: %w", err)
	}
	return &reqBody{data: b, contentType: "application/json"}, nil
}

// formBody encodes v as application/x-www-form-urlencoded: url.Values as
// they are, anything else through its JSON form, whose members must be
// scalars (strings, numbers, booleans; null members are left out).
func formBody(v any) (*reqBody, error) {
	vals, ok := v.(url.Values)
	if !ok {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("jaccount api: encode the request body: %w", err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("jaccount api: a form body must be an object: %w", err)
		}
		vals = make(url.Values, len(m))
		for k, raw := range m {
			var s any
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			if err := d.Decode(&s); err != nil {
				return nil, fmt.Errorf("jaccount api: form member %q: %w", k, err)
			}
			switch x := s.(type) {
			case nil:
			case string:
				vals.Set(k, x)
			case json.Number:
				vals.Set(k, x.String())
			case bool:
				vals.Set(k, strconv.FormatBool(x))
			default:
				return nil, fmt.Errorf("jaccount api: form member %q is not a scalar", k)
			}
		}
	}
	return &reqBody{data: []byte(vals.Encode()), contentType: "application/x-www-form-urlencoded"}, nil
}

// rawBody sends b as it is, with contentType.
func rawBody(b []byte, contentType string) (*reqBody, error) {
	return &reqBody{data: b, contentType: contentType}, nil
}

// callOne returns the single entity of an operation that yields one.
func callOne[T any](ctx context.Context, c *core, method string, safety retrySafety, path, rawQuery string, body *reqBody, opts []CallOption) (*T, error) {
	env, err := call[T](ctx, c, method, safety, path, rawQuery, body, resultSingle, opts)
	if err != nil {
		return nil, err
	}
	return &env.Entities[0], nil
}

// callList returns the entities of a list operation.
func callList[T any](ctx context.Context, c *core, method string, safety retrySafety, path, rawQuery string, body *reqBody, opts []CallOption) (*List[T], error) {
	env, err := call[T](ctx, c, method, safety, path, rawQuery, body, resultList, opts)
	if err != nil {
		return nil, err
	}
	return &List[T]{Items: env.Entities, Total: env.Total, NextToken: env.NextToken}, nil
}

// callNone runs an operation whose reply carries nothing of use.
func callNone(ctx context.Context, c *core, method string, safety retrySafety, path, rawQuery string, body *reqBody, opts []CallOption) error {
	_, err := call[json.RawMessage](ctx, c, method, safety, path, rawQuery, body, resultNone, opts)
	return err
}

// call sends method path?rawQuery with the body rb (nil: none) through the retrying,
// authenticating stack and decodes the envelope of a 2xx reply; every other
// outcome is an *Error. safety is the operation's idempotency; opts are the
// call's options.
func call[T any](ctx context.Context, c *core, method string, safety retrySafety, path, rawQuery string, rb *reqBody, want result, opts []CallOption) (*envelope[T], error) {
	resp, b, st, err := send(ctx, c, method, safety, path, rawQuery, rb, false, opts)
	if err != nil {
		return nil, err
	}
	// Closing returns the buffer to the pool, after decoding.
	defer resp.Body.Close()
	env := &envelope[T]{Errno: errnoMissing}
	if c.reportsDrift(st) {
		st.driftOf = c
		st.dec.ReportDrift(st)
	}
	err = decode(resp, b.buf.Bytes(), env, st, want)
	if st.set != nil {
		st.fill(resp, env.Total, env.NextToken)
	}
	if err != nil {
		return nil, err
	}
	if want == resultList {
		notePage(ctx, b.buf.Bytes()) // for a walk (paging.go)
	}
	return env, nil
}

// send sends method path?rawQuery with the body rb (nil: none) through the
// retrying, authenticating stack and returns the buffered reply, whatever
// its status; the caller closes resp.Body and, when the call has its own
// settings (st.set), records its end (callState.fill). A failure without a
// usable reply is an *Error, recorded here. anyType says that the call
// takes a reply of any media type (a file or an image): it sends no Accept
// header. safety says whether the request may be repeated once it may have
// reached the server; opts are the call's options.
func send(ctx context.Context, c *core, method string, safety retrySafety, path, rawQuery string, rb *reqBody, anyType bool, opts []CallOption) (*http.Response, *body, *callState, error) {
	if ctx == nil {
		return nil, nil, nil, errors.New("jaccount api: nil Context")
	}
	st := newCallState(ctx, method, path, safety)
	st.typed = true
	st.anyType = anyType
	if len(opts) > 0 {
		set, err := ownSettings(&c.settings.callSettings, opts)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("jaccount api: %s %s: %w", method, logPath(c.server, method, path), err)
		}
		st.set = set
	}
	if st.timeout = c.settings.timeout; st.set != nil {
		st.timeout = st.set.timeout
	}
	if st.timeout > 0 {
		tctx, cancel := context.WithTimeout(ctx, st.timeout)
		defer cancel() // the reply is read whole before send returns
		st.Context = tctx
	}
	req, err := c.newRequest(st, &st.url, path, rawQuery)
	if err != nil {
		return nil, nil, nil, err
	}
	if method != http.MethodGet || rb != nil {
		req.Method = method
		if rb != nil {
			req.Header = http.Header{"Content-Type": {rb.contentType}}
			setBody(st, req, rb)
			if rb.stream != nil {
				// Once the call returns, the caller's files are not read.
				defer rb.stream.finish()
			}
		}
	}
	resp, err := c.retry.do(st, req)
	if err != nil {
		e := transportError(ctx, st, err)
		if r := st.response(); r != nil {
			st.fill(nil, 0, "")
			r.StatusCode = e.StatusCode // a reply too large, or a token rejection, came with one
		}
		return nil, nil, nil, e
	}
	b, ok := resp.Body.(*body)
	if !ok { // cannot happen: bufferTransport is always in the stack
		resp.Body.Close()
		return nil, nil, nil, &Error{Method: st.method, Path: path, StatusCode: resp.StatusCode, Attempts: st.attempts,
			Err: ErrInvalidResponse, Message: "unbuffered response body"}
	}
	return resp, b, st, nil
}

// setBody gives the call, whose request is req, its body. Bytes are sent
// again for every attempt, and GetBody lets the forced refresh after a
// rejected token send them again. A streamed body opens a new reader for
// every attempt; when it cannot be rewound, the retry policy stops once it
// was read from (checkRetry), and it has no GetBody, so that a rejected
// token is not refreshed for a request that could not be repeated.
func setBody(st *callState, req *http.Request, rb *reqBody) {
	if rb.stream == nil {
		data := rb.data
		st.body = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
		req.GetBody = st.body
		req.ContentLength = int64(len(data))
		return
	}
	st.stream = rb.stream
	st.body = func() (io.ReadCloser, error) { return rb.stream.open() }
	if rb.stream.replayable {
		req.GetBody = st.body
	}
	// 0 with a body means unknown: the body is sent chunked.
	req.ContentLength = max(rb.stream.length, 0)
}

// decode fills env from a buffered reply, or returns the *Error it amounts
// to. Success needs a 2xx status, a JSON object with errno == 0 and, unless
// want is resultNone, an entities array, not empty for resultSingle;
// anything else fails and nothing partial is returned.
func decode[T any](resp *http.Response, data []byte, env *envelope[T], st *callState, want result) error {
	if nestsItself[T]() && !nestsWithin(data, maxNesting) {
		return &Error{Method: st.method, Path: st.path, StatusCode: resp.StatusCode, Attempts: st.attempts,
			Err: ErrInvalidResponse, Message: fmt.Sprintf("reply nests deeper than %d levels", maxNesting),
			Body: sanitize(string(data), maxSnippet, st.secrets()...)}
	}
	jsonErr := decodeEnvelope(&st.dec, data, env, want)
	ok2xx := resp.StatusCode >= 200 && resp.StatusCode <= 299
	isEnvelope := jsonErr == nil && env.Errno != errnoMissing
	hasEntities := want == resultNone || (env.Entities != nil && (want != resultSingle || len(env.Entities) > 0))
	if ok2xx && isEnvelope && env.Errno == 0 && hasEntities {
		return nil
	}
	e := &Error{Method: st.method, Path: st.path, StatusCode: resp.StatusCode, Attempts: st.attempts,
		OutcomeUnknown: st.unknownReply(resp.StatusCode, isEnvelope)}
	if d, ok := retryAfter(resp); ok {
		e.RetryAfter = d
	}
	if isEnvelope {
		e.Errno = env.Errno
		e.Message = message(env.Error, st.secrets()...)
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
	if ok2xx && isEnvelope && env.Errno == 0 && st.safety == notIdempotent {
		// The service says it did it: a caller must not do it again.
		e.Message += ", though errno 0 says the request was carried out"
	}
	return e
}

// decodeEnvelope decodes data into env, a new envelope, as json.Unmarshal
// does, in one pass when T decodes itself (gen's models and maps, and
// json.RawMessage); the entities are not read for resultNone. Anything the
// pass does not read (malformed JSON, a value of the wrong type) is decoded
// again by json.Unmarshal, whose result and error are the call's.
func decodeEnvelope[T any](d *wire.Decoder, data []byte, env *envelope[T], want result) error {
	switch p := any((*T)(nil)); p.(type) {
	case *json.RawMessage, *map[string]any:
	default:
		if !wire.IsModel(p) {
			return json.Unmarshal(data, env)
		}
	}
	d.Reset(data)
	if wire.BeginObject(d, env) {
		for {
			name, ok := d.Next()
			if !ok {
				break
			}
			switch wire.Member(name, "errno", "error", "total", "nextToken", "entities") {
			case 0:
				wire.Int(d, &env.Errno)
			case 1:
				wire.String(d, &env.Error)
			case 2:
				wire.Int64(d, &env.Total)
			case 3:
				wire.String(d, &env.NextToken)
			case 4:
				if want == resultNone {
					d.Skip()
				} else {
					decodeEntities(d, &env.Entities)
				}
			default:
				d.SkipUnknown(name, "Envelope")
			}
		}
	}
	if d.Finish() == nil {
		return nil
	}
	*env = envelope[T]{Errno: errnoMissing}
	return json.Unmarshal(data, env)
}

// decodeEntities decodes the entities array at d's position into *p, as
// encoding/json does.
func decodeEntities[T any](d *wire.Decoder, p *[]T) {
	if !wire.BeginArray(d, p) {
		return
	}
	s, n := *p, 0
	for ; d.More(); n++ {
		s = wire.Grow(s, n)
		switch e := any(&s[n]).(type) {
		case *map[string]any:
			wire.Map(d, e)
		case *json.RawMessage:
			*e = append((*e)[:0], d.Skip()...)
		default:
			wire.DecodeModel(d, e)
		}
	}
	*p = wire.Trunc(s, n)
}

// maxNesting bounds how deeply a reply of entities that contain themselves
// (a UserRight's parent is a UserRight) may nest its arrays and objects:
// the envelope, its entities and 29 levels of parents. Real rights are a
// few levels deep; a deeper reply is refused as invalid before it is
// decoded. Decoding is one pass (gen's generated decoders), but encoding
// such models again (MarshalJSON, which the CLI and users' code do) costs
// time in proportion to a reply's size times its depth, since
// encoding/json checks each level's output again, which a reply nesting
// thousands of levels (encoding/json allows 10,000) would turn into
// minutes of CPU.
const maxNesting = 32

// nestsWithin reports whether the JSON text b nests its arrays and objects
// no deeper than limit (brackets inside strings do not count). It reads b
// once, skipping strings with bytes.IndexByte, and allocates nothing.
func nestsWithin(b []byte, limit int) bool {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			// The string ends at the next quote that an even run of
			// backslashes (none included) precedes; the opening quote
			// stops the count.
			for {
				j := bytes.IndexByte(b[i+1:], '"')
				if j < 0 {
					return true // unterminated: not deeper than seen so far
				}
				i += 1 + j
				k := i - 1
				for b[k] == '\\' {
					k--
				}
				if (i-1-k)%2 == 0 {
					break
				}
			}
		case '{', '[':
			if depth++; depth > limit {
				return false
			}
		case '}', ']':
			depth--
		}
	}
	return true
}

// transportError turns a failure without a usable response into an *Error
// whose chain still holds the cause (a context error, a net error, or the
// TokenSource's own error) and whose text holds no URL. ctx is the
// caller's context, to tell the end of the call's own timeout
// (WithTimeout) from the caller's.
func transportError(ctx context.Context, st *callState, err error) *Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	e := &Error{Method: st.method, Path: st.path, Attempts: st.attempts}
	if st.timeout > 0 && ctx.Err() == nil && st.Context.Err() != nil {
		// The call's own deadline, not the caller's: say which, and keep
		// context.DeadlineExceeded in the chain.
		e.Err = fmt.Errorf("call timed out after %v (WithTimeout): %w", st.timeout, context.DeadlineExceeded)
		e.Message = e.Err.Error()
		e.OutcomeUnknown = st.outcomeUnknown(err)
		return e
	}
	var te *tokenError
	var tl *tooLargeError
	var we *WaitError
	switch {
	case errors.As(err, &te):
		te.describe(e, st.secrets()...)
	case errors.As(err, &we):
		e.Err = err
		e.Message = err.Error()
		if we.Paused {
			e.RetryAfter = max(time.Until(we.Until), 0)
		}
	case errors.As(err, &tl):
		e.StatusCode = tl.status
		e.Err = ErrResponseTooLarge
		e.Message = fmt.Sprintf("reply exceeds the %d-byte size cap", tl.limit)
		e.Body = sanitize(string(tl.head), maxSnippet, st.secrets()...)
		e.OutcomeUnknown = st.unknownReply(tl.status, false)
	default:
		e.Err = err
		e.Message = sanitize(err.Error(), 4*maxSnippet, st.secrets()...)
		e.OutcomeUnknown = st.outcomeUnknown(err)
	}
	return e
}
