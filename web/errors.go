package web

import (
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/internal/redact"
)

// The failures a login or logout ends with, besides auth.ErrStateMismatch
// and *auth.AuthorizeError (auth.ErrAccessDenied when the user declined).
var (
	// ErrLoginExpired is a callback for a login attempt older than the
	// login timeout (WithLoginTimeout).
	ErrLoginExpired = errors.New("web: login attempt expired")
	// ErrLoginFailed is a login that jAccount granted but that could not
	// be completed: the code exchange, the ID token, the profile or a
	// store failed. The wrapped error says which.
	ErrLoginFailed = errors.New("web: login failed")
	// ErrCSRF is a logout without the session's CSRF token.
	ErrCSRF = errors.New("web: logout without a valid CSRF token")
	// ErrNotSignedIn is a request other than GET or HEAD that RequireUser
	// refused for want of a session.
	ErrNotSignedIn = errors.New("web: not signed in")
	// ErrStoreUnavailable is a request that a store the Handler relies on
	// could not serve: the SessionStore, the RevocationStore or the
	// per-user token store returned an error other than "no such
	// session" (its Redis is down, say). The request gets a 503 page with
	// Retry-After; nothing is changed or forgotten on the user's side, so
	// the same request succeeds once the store is back. The wrapped error
	// says which store call failed.
	ErrStoreUnavailable = errors.New("web: a session store is unavailable")
	// ErrCookieConflict is a login refused because the browser sends the
	// session cookie more than once (another site under a parent domain
	// set one of that name): every request is anonymous then, since none
	// can be told to be this site's, and a new login would not change
	// that. The user must clear the site's cookies.
	ErrCookieConflict = errors.New("web: the browser sends several session cookies")
)

// retryAfter is what a 503 for ErrStoreUnavailable suggests, in seconds.
const retryAfter = "5"

// storeError wraps the error of a store call what.
func storeError(what string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrStoreUnavailable, what, err)
}

// unavailable reports a store failure (ErrStoreUnavailable) and shows the
// 503 error page.
func (h *Handler) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	noStore(w)
	w.Header().Set("Retry-After", retryAfter)
	h.fail(w, r, http.StatusServiceUnavailable, err)
}

// refuse reports a request the Handler turned down (a client's mistake or
// an attack) at warn level and shows the error page.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, status int, err error) {
	h.log.WarnContext(r.Context(), "web: refused", slog.String("path", r.URL.Path), slog.Int("status", status), slog.Any("err", err))
	h.errorPage(&framingGuard{ResponseWriter: w}, r, status, err)
}

// fail reports a failure of the Handler or of jAccount at error level and
// shows the error page.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	h.log.ErrorContext(r.Context(), "web: failed", slog.String("path", r.URL.Path), slog.Int("status", status), slog.Any("err", err))
	h.errorPage(&framingGuard{ResponseWriter: w}, r, status, err)
}

// DefaultErrorText returns the message the default error page shows for
// err, in Chinese and in English. It never includes a secret or the error's
// own text, only, for an *auth.AuthorizeError, its sanitised code.
func DefaultErrorText(err error) (zh, en string) {
	var ae *auth.AuthorizeError
	switch {
	case errors.Is(err, auth.ErrAccessDenied):
		return "你没有同意授权，因此没有登录。", "You did not allow the sign-in, so you are not signed in."
	case errors.As(err, &ae):
		code := ae.Code
		if strings.ContainsFunc(code, func(r rune) bool { return !(r == '_' || r >= 'a' && r <= 'z') }) {
			code = "error"
		}
		return fmt.Sprintf("jAccount 没有完成登录（%s）。请稍后再试。", code),
			fmt.Sprintf("jAccount did not complete the sign-in (%s). Please try again later.", code)
	case errors.Is(err, auth.ErrStateMismatch):
		return "这个登录响应不属于在本浏览器中发起的登录（可能已经用过，或来自另一个浏览器）。请重新登录。",
			"This sign-in response does not belong to a sign-in started in this browser (it may have been used already, or come from another browser). Please sign in again."
	case errors.Is(err, ErrLoginExpired):
		return "登录等待时间过长，已经失效。请重新登录。", "The sign-in took too long and has expired. Please sign in again."
	case errors.Is(err, ErrLoginFailed):
		return "暂时无法完成登录。请稍后再试。", "The sign-in could not be completed. Please try again later."
	case errors.Is(err, ErrCSRF):
		return "退出请求无效：请使用页面上的“退出”按钮。", "The sign-out request was not valid: use the sign-out button on the page."
	case errors.Is(err, ErrNotSignedIn):
		return "请先登录。", "Please sign in first."
	case errors.Is(err, ErrStoreUnavailable):
		return "登录服务暂时不可用，你的登录状态没有改变。请稍后刷新本页。",
			"Sign-in is temporarily unavailable; nothing about your sign-in has changed. Please reload this page in a moment."
	case errors.Is(err, ErrCookieConflict):
		return "浏览器为本站发送了多个同名的登录 cookie（可能是同一域名下的其他网站设置的），因此无法登录。请清除本站的 cookie 后重试。",
			"Your browser sends this site several sign-in cookies of the same name (another site under the same domain may have set one), so you cannot sign in. Clear this site's cookies and try again."
	}
	return "服务器出错了。请稍后再试。", "Something went wrong on the server. Please try again later."
}

// errorKind names the failure for the page's data-kind attribute, which
// tests and scripts can read.
func errorKind(err error) string {
	var ae *auth.AuthorizeError
	switch {
	case errors.Is(err, auth.ErrAccessDenied):
		return "access_denied"
	case errors.As(err, &ae):
		return "authorize"
	case errors.Is(err, auth.ErrStateMismatch):
		return "state"
	case errors.Is(err, ErrLoginExpired):
		return "expired"
	case errors.Is(err, ErrLoginFailed):
		return "failed"
	case errors.Is(err, ErrCSRF):
		return "csrf"
	case errors.Is(err, ErrNotSignedIn):
		return "signin"
	case errors.Is(err, ErrStoreUnavailable):
		return "unavailable"
	case errors.Is(err, ErrCookieConflict):
		return "cookies"
	}
	return "internal"
}

var errorPage = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>登录出错 / Sign-in error</title>
<style>
body{font-family:"Noto Sans CJK SC","Noto Sans SC",sans-serif;margin:0;background:#fafafa;color:#222}
main{max-width:560px;margin:48px auto;background:#fff;padding:24px 28px;border-radius:6px;box-shadow:0 1px 4px #0002}
h1{font-size:20px}.en{color:#555}a{display:inline-block;margin-top:16px;padding:8px 18px;background:#004a8f;color:#fff;text-decoration:none;border-radius:4px}
</style></head><body><main>
<h1>登录出错 / Sign-in error</h1>
<div id="error" data-kind="{{.Kind}}"><p lang="zh-CN">{{.ZH}}</p><p lang="en" class="en">{{.EN}}</p></div>
{{if .Retry}}<a id="retry" href="{{.Link}}">重试 / Try again</a>{{else}}<a id="login" href="{{.Link}}">重新登录 / Sign in again</a>{{end}}
</main></body></html>
`))

// defaultErrorPage is the ErrorHandler used without WithErrorHandler. Its
// link signs in again, or, when a store is unavailable (nothing about the
// sign-in changed), tries the same page again ("" is the page's own URL,
// which is not written into the page) or, after a POST, the landing page.
func (h *Handler) defaultErrorPage(w http.ResponseWriter, r *http.Request, status int, err error) {
	zh, en := DefaultErrorText(err)
	retry, link := false, h.loginPath
	if errors.Is(err, ErrStoreUnavailable) {
		retry, link = true, h.landing
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			link = ""
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = errorPage.Execute(w, struct {
		Kind, ZH, EN, Link string
		Retry              bool
	}{errorKind(err), zh, en, link, retry})
}

// String describes the Handler: its routes and settings, never a key or
// the client secret.
func (h Handler) String() string {
	keys := 0
	if h.codec != nil {
		keys = len(h.codec.aeads)
	}
	mode := "cookie"
	if h.store != nil {
		mode = "store"
	}
	return fmt.Sprintf("web.Handler{ClientID: %q, Login: %q, Callback: %q, Logout: %q, Sessions: %s, Keys: %d [REDACTED], MaxAge: %s, ClientSecret: %s}",
		h.cfg.ClientID, h.loginPath, h.callback, h.logoutPath, mode, keys, h.maxAge, redact.Secret(h.cfg.ClientSecret))
}

// GoString is String, so %#v hides the keys too.
func (h Handler) GoString() string { return h.String() }

// Format makes every fmt verb print String.
func (h Handler) Format(f fmt.State, _ rune) { redact.Write(f, h.String()) }

// LogValue implements slog.LogValuer without keys or secrets.
func (h Handler) LogValue() slog.Value { return slog.StringValue(h.String()) }
