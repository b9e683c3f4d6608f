package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"strings"
)

// Get calls GET path?query and returns the reply's single entity as a T,
// through the same retries, authentication, envelope checks, errors and
// CallOptions as the typed methods. It is the call for an operation the spec does not
// model, the way the Python client's call_rest_api(token, path) is:
//
//	p, err := api.Get[api.Profile](ctx, c, api.PathProfileGet, nil)
//
// path must start with "/" and be escaped; a reply with no entity fails
// with ErrNoEntity.
func Get[T any](ctx context.Context, c *Client, path string, query url.Values, opts ...CallOption) (*T, error) {
	if err := checkPath("Get", path); err != nil {
		return nil, err
	}
	return callOne[T](ctx, &c.core, "GET", idempotent, path, query.Encode(), nil, opts)
}

// GetList calls GET path?query and returns the reply's entities as Ts, with
// the envelope's total and nextToken, like Get.
func GetList[T any](ctx context.Context, c *Client, path string, query url.Values, opts ...CallOption) (*List[T], error) {
	if err := checkPath("GetList", path); err != nil {
		return nil, err
	}
	return callList[T](ctx, &c.core, "GET", idempotent, path, query.Encode(), nil, opts)
}

// Do sends method path?query with body through the same stack as the typed
// methods, with the same CallOptions, checks the envelope, and decodes its
// entities into out.
//
// body is sent as a form (application/x-www-form-urlencoded) when it is a
// url.Values, as it is with Content-Type application/octet-stream when it is
// a []byte or an io.Reader, and as JSON otherwise; nil sends no body.
//
// out receives the entities array when it points to a slice, an array or a
// json.RawMessage (an empty array gives an empty, non-nil slice, or the
// RawMessage []), and the first entity when it points to anything else (the
// reply must then carry one, or Do fails with ErrNoEntity); with out nil the
// entities are not read.
//
// A request that is not idempotent is repeated only when it provably never
// reached the server, and a failure after it may have matches
// ErrOutcomeUnknown (see the package documentation, Retries): method and
// path take their idempotency from the operation of the spec whose path
// template path matches (PathNotificationSend with PUT is not idempotent),
// else from the method: GET, HEAD, OPTIONS, TRACE and DELETE are, PUT, POST
// and PATCH are not.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body, out any, opts ...CallOption) error {
	return c.do(ctx, method, path, query, body, out, opts)
}

// do is Do, for every client type.
func (c *core) do(ctx context.Context, method, path string, query url.Values, body, out any, opts []CallOption) error {
	if err := checkPath("Do", path); err != nil {
		return err
	}
	method = strings.ToUpper(method)
	var b *reqBody
	var err error
	switch v := body.(type) {
	case nil:
	case url.Values:
		b, err = formBody(v)
	case []byte:
		b, err = rawBody(v, "application/octet-stream")
	case io.Reader:
		var data []byte
		if data, err = io.ReadAll(v); err == nil {
			b, err = rawBody(data, "application/octet-stream")
		}
	default:
		b, err = jsonBody(v)
	}
	if err != nil {
		return err
	}
	safety := retrySafetyOf(c.server, method, path)
	if out == nil {
		return callNone(ctx, c, method, safety, path, query.Encode(), b, opts)
	}
	rv := reflect.ValueOf(out)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("jaccount api: Do: out must be a non-nil pointer, not %T: %w", out, ErrInvalidArgument)
	}
	_, raw := out.(*json.RawMessage)
	k := rv.Elem().Kind()
	single := !raw && k != reflect.Slice && k != reflect.Array
	want := resultList
	if single {
		want = resultSingle
	}
	env, err := call[json.RawMessage](ctx, c, method, safety, path, query.Encode(), b, want, opts)
	if err != nil {
		return err
	}
	var data []byte
	if single {
		// call checked that there is one: resultSingle fails on none.
		data = env.Entities[0]
	} else if data, err = json.Marshal(env.Entities); err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(out); err != nil {
		return &Error{Method: method, Path: path, StatusCode: 200, Message: "cannot decode the entities into " +
			fmt.Sprintf("%T", out), Err: fmt.Errorf("%w: %w", ErrInvalidResponse, err)}
	}
	return nil
}

// URL returns the address of an API call without credentials: base (""
// means DefaultBaseURL) + path + "?" + query. path must start with "/".
func URL(base, path string, query url.Values) (string, error) {
	if err := checkPath("URL", path); err != nil {
		return "", err
	}
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(base, "/") + path)
	if err != nil {
		return "", fmt.Errorf("jaccount api: URL: %w", err)
	}
	u.RawQuery = query.Encode()
	return u.String(), nil
}

// AuthorizedURL returns URL(base, path, query) with the access token and the
// client id (left out when empty) as the access_token and client_id query
// parameters: the legacy form the Python client's get_rest_api_url builds,
// for fetching with any HTTP client. The URL holds a secret: never log it.
func AuthorizedURL(base, path string, query url.Values, accessToken, clientID string) (string, error) {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("access_token", accessToken)
	if clientID != "" {
		q.Set("client_id", clientID)
	}
	return URL(base, path, q)
}
