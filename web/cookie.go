package web

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// MinKeyLength is the shortest session key WithSessionKeys accepts, in
// bytes. A key is stretched with HKDF-SHA256 into an AES-256 key, so any
// string of at least this many random bytes will do, such as the output of
// `openssl rand -base64 32`.
const MinKeyLength = 32

// cookieVersion is the first byte of every sealed value: the format
// (AES-256-GCM, 12-byte random nonce, the cookie's name as additional data).
const cookieVersion = 1

// errBadCookie is any cookie value that does not open: malformed, forged,
// sealed with an unknown key or under another name. Its text says nothing
// about which.
var errBadCookie = errors.New("web: cookie does not decrypt")

// codec seals and opens cookie values with AES-256-GCM. The first key
// seals; every key opens, so keys can be rotated without logging everyone
// out. The cookie's name is the additional authenticated data: a value
// cannot be moved to another cookie (a pending login's to another state, a
// login's to the session).
type codec struct {
	aeads []cipher.AEAD
}

// newCodec derives one AES-256-GCM key from each secret.
func newCodec(secrets [][]byte) (*codec, error) {
	if len(secrets) == 0 {
		return nil, fmt.Errorf("%w: no session key (WithSessionKeys)", ErrInvalidOption)
	}
	c := &codec{}
	for i, s := range secrets {
		if len(s) < MinKeyLength {
			return nil, fmt.Errorf("%w: session key %d is %d bytes, want at least %d", ErrInvalidOption, i, len(s), MinKeyLength)
		}
		key, err := hkdf.Key(sha256.New, s, nil, "jaccount-go/web cookie v1", 32)
		if err != nil {
			return nil, fmt.Errorf("web: deriving session key %d: %w", i, err)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("web: session key %d: %w", i, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("web: session key %d: %w", i, err)
		}
		c.aeads = append(c.aeads, aead)
	}
	return c, nil
}

// seal encrypts plaintext for the cookie called name with the first key.
func (c *codec) seal(name string, plaintext []byte) string {
	a := c.aeads[0]
	buf := make([]byte, 1+a.NonceSize(), 1+a.NonceSize()+len(plaintext)+a.Overhead())
	buf[0] = cookieVersion
	_, _ = rand.Read(buf[1:]) // crypto/rand.Read never fails
	buf = a.Seal(buf, buf[1:], plaintext, []byte(name))
	return cookieEncoding.EncodeToString(buf)
}

// cookieEncoding is unpadded base64url, strict: the unused bits of the
// last character must be zero. Go's decoders skip \r and \n even in strict
// mode, so open refuses values holding them before decoding: each value
// has exactly one spelling.
var cookieEncoding = base64.RawURLEncoding.Strict()

// open decrypts a value of the cookie called name. It reports the index of
// the key that opened it: anything but 0 means the value should be sealed
// again with the current key.
func (c *codec) open(name, value string) (plaintext []byte, key int, err error) {
	if len(value) > maxCookieBytes*maxChunks || strings.ContainsAny(value, "\r\n") {
		return nil, 0, errBadCookie
	}
	buf, err := cookieEncoding.DecodeString(value)
	if err != nil || len(buf) < 1 || buf[0] != cookieVersion {
		return nil, 0, errBadCookie
	}
	for i, a := range c.aeads {
		n := a.NonceSize()
		if len(buf) < 1+n+a.Overhead() {
			return nil, 0, errBadCookie
		}
		if p, err := a.Open(nil, buf[1:1+n], buf[1+n:], []byte(name)); err == nil {
			return p, i, nil
		}
	}
	return nil, 0, errBadCookie
}

// Browsers keep at least 4096 bytes per cookie, name and attributes
// included (RFC 6265 §6.1). A longer value is split into chunks named
// name, name_1, name_2, … of at most maxCookieBytes each.
const (
	maxCookieBytes = 3800
	maxChunks      = 5
)

// errTooLarge means a session does not fit in maxChunks cookies.
var errTooLarge = errors.New("web: session too large for cookies; use a SessionStore")

// chunkName is the name of chunk i of the cookie name.
func chunkName(name string, i int) string {
	if i == 0 {
		return name
	}
	return name + "_" + strconv.Itoa(i)
}

// readChunks joins the chunks of the cookie name from r. It also reports
// how many cookies arrived for those chunk names beyond one each: a
// browser sends two cookies of one name when another site set one for a
// parent domain (or for a path below ours), and nothing in the request
// tells which one is ours, so the caller must use neither.
func readChunks(r *http.Request, name string) (value string, extra int) {
	var b strings.Builder
	for i := range maxChunks {
		c := r.CookiesNamed(chunkName(name, i))
		if len(c) == 0 {
			break
		}
		extra += len(c) - 1
		b.WriteString(c[0].Value)
	}
	return b.String(), extra
}

// writeChunks sets the cookie name to value, split into chunks, and
// deletes the chunks of a longer previous value that r carried.
func writeChunks(w http.ResponseWriter, r *http.Request, base http.Cookie, value string) error {
	n := (len(value) + maxCookieBytes - 1) / maxCookieBytes
	if n > maxChunks {
		return errTooLarge
	}
	name := base.Name
	for i := range n {
		c := base
		c.Name = chunkName(name, i)
		c.Value = value[i*maxCookieBytes : min(len(value), (i+1)*maxCookieBytes)]
		http.SetCookie(w, &c)
	}
	for i := max(n, 1); i < maxChunks; i++ {
		if _, err := r.Cookie(chunkName(name, i)); err == nil {
			deleteCookie(w, base, chunkName(name, i))
		}
	}
	return nil
}

// deleteChunks deletes every chunk of the cookie name that r carried.
func deleteChunks(w http.ResponseWriter, r *http.Request, base http.Cookie) {
	for i := range maxChunks {
		if _, err := r.Cookie(chunkName(base.Name, i)); err == nil {
			deleteCookie(w, base, chunkName(base.Name, i))
		}
	}
}

// deleteCookie expires the cookie name, with base's path and attributes.
func deleteCookie(w http.ResponseWriter, base http.Cookie, name string) {
	c := base
	c.Name, c.Value, c.MaxAge = name, "", -1
	http.SetCookie(w, &c)
}
