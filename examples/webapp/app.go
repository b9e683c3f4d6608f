package main

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/examples/internal/setup"
)

// The app's routes, as in the Python client's Flask example.
const (
	loginPath    = "/jaccount/login"
	callbackPath = "/jaccount/auth"
	logoutPath   = "/jaccount/logout"
)

// scopes are what the app asks for: an ID token and the full profile.
var scopes = []string{"openid", "basic", "essential", "profile"}

// app is the example web application.
type app struct {
	env      *setup.Env
	cfg      auth.Config
	baseURL  string // the app's root URL, without a trailing slash
	sessions *sessions
	log      *slog.Logger
}

// newApp returns the app's handler. baseURL is where the app is served
// (e.g. http://127.0.0.1:8080); its callback is baseURL + /jaccount/auth
// unless env names a redirect URL. key signs the session cookies.
func newApp(env *setup.Env, baseURL, key string, log *slog.Logger) http.Handler {
	a := &app{env: env, cfg: *env.Config, baseURL: strings.TrimSuffix(baseURL, "/"), log: log,
		sessions: &sessions{key: []byte(key), secure: strings.HasPrefix(baseURL, "https:"), now: time.Now}}
	if a.cfg.RedirectURL == "" {
		a.cfg.RedirectURL = a.baseURL + callbackPath
	}
	a.cfg.Scopes = scopes
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET "+loginPath, a.login)
	mux.HandleFunc("GET "+callbackPath, a.callback)
	mux.HandleFunc("GET "+logoutPath, a.logout)
	return mux
}

// home shows the logged-in user's profile, or the login link.
func (a *app) home(w http.ResponseWriter, r *http.Request) {
	sess := a.sessions.load(r)
	render(w, http.StatusOK, pageData{User: sess.User, LoginPath: loginPath, LogoutPath: logoutPath})
}

// login starts a login: it keeps a fresh state, nonce and PKCE verifier in
// the signed session and sends the browser to jAccount.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	req := a.cfg.AuthCodeURL(auth.WithNonce(), auth.WithPKCE())
	err := a.sessions.save(w, session{Login: &pendingLogin{State: req.State, Nonce: req.Nonce, Verifier: req.CodeVerifier}})
	if err != nil {
		a.fail(w, http.StatusInternalServerError, "cannot start the login", err)
		return
	}
	http.Redirect(w, r, req.URL, http.StatusFound)
}

// callback is where jAccount sends the browser back: it checks the state
// against the session, exchanges the code, and fetches the profile.
func (a *app) callback(w http.ResponseWriter, r *http.Request) {
	sess := a.sessions.load(r)
	q := r.URL.Query()
	if sess.Login == nil {
		a.fail(w, http.StatusBadRequest, "no login in progress in this browser; start again", nil)
		return
	}
	if err := auth.CheckState(sess.Login.State, q.Get("state")); err != nil {
		a.sessions.clear(w)
		a.fail(w, http.StatusBadRequest, "the state does not match this browser's login: refused", err)
		return
	}
	if e := q.Get("error"); e != "" {
		a.sessions.clear(w)
		a.fail(w, http.StatusForbidden, "jAccount did not grant the login: "+e, nil)
		return
	}
	pending := auth.AuthRequest{State: sess.Login.State, Nonce: sess.Login.Nonce, CodeVerifier: sess.Login.Verifier}
	tok, err := a.cfg.Exchange(r.Context(), q.Get("code"), pending.ExchangeOptions()...)
	if err != nil {
		a.sessions.clear(w)
		a.fail(w, http.StatusBadGateway, "the login could not be completed", err)
		return
	}
	ts, err := a.cfg.TokenSource(tok)
	if err != nil {
		a.fail(w, http.StatusInternalServerError, "the login could not be completed", err)
		return
	}
	client, err := a.env.NewAPI(ts)
	if err != nil {
		a.fail(w, http.StatusInternalServerError, "the login could not be completed", err)
		return
	}
	p, err := client.Profile.Get(r.Context())
	if err != nil {
		a.fail(w, http.StatusBadGateway, "cannot read your profile", err)
		return
	}
	u := &user{Account: p.Account, Name: p.Name, Code: p.Code, Type: string(p.UserType), Organize: p.Organize.Name, Email: p.Email}
	if err := a.sessions.save(w, session{User: u}); err != nil {
		a.fail(w, http.StatusInternalServerError, "cannot keep the session", err)
		return
	}
	a.log.Info("login", slog.String("account", u.Account))
	http.Redirect(w, r, "/", http.StatusFound)
}

// logout ends the app's session and then jAccount's, which sends the
// browser back to the app's home page.
func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	a.sessions.clear(w)
	http.Redirect(w, r, a.cfg.LogoutURL(a.baseURL+"/"), http.StatusFound)
}

// fail logs err (which never holds a secret: the SDK's errors redact them)
// and shows msg.
func (a *app) fail(w http.ResponseWriter, code int, msg string, err error) {
	if err != nil && !errors.Is(err, auth.ErrStateMismatch) {
		a.log.Error(msg, slog.Any("err", err))
	}
	render(w, code, pageData{Error: msg, LoginPath: loginPath})
}

// pageData is what the page template reads.
type pageData struct {
	User       *user
	Error      string
	LoginPath  string
	LogoutPath string
}

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>jAccount example app</title>
<style>
body{font-family:"Noto Sans CJK SC","Noto Sans SC",sans-serif;margin:0;background:#fafafa}
header{background:#004a8f;color:#fff;padding:14px 24px;font-size:18px}
main{max-width:560px;margin:32px auto;background:#fff;padding:24px 28px;border-radius:6px;box-shadow:0 1px 4px #0002}
dt{color:#666;font-size:13px;margin-top:10px}dd{margin:2px 0 0 0;font-size:17px}
.error{color:#b00020}a.button{display:inline-block;margin-top:18px;padding:8px 18px;background:#004a8f;color:#fff;text-decoration:none;border-radius:4px}
</style></head><body><header>jAccount example app · 示例应用</header><main>
{{if .Error}}<h1>出错了 / Error</h1><p id="error" class="error">{{.Error}}</p><a class="button" id="login" href="{{.LoginPath}}">重新登录 / Log in again</a>
{{else if .User}}<h1>你好，<span id="name">{{.User.Name}}</span></h1>
<dl id="profile">
<dt>jAccount</dt><dd id="account">{{.User.Account}}</dd>
<dt>学号/工号 Code</dt><dd id="code">{{.User.Code}}</dd>
<dt>身份 Type</dt><dd id="type">{{.User.Type}}</dd>
<dt>单位 Organization</dt><dd id="organize">{{.User.Organize}}</dd>
<dt>Email</dt><dd id="email">{{.User.Email}}</dd>
</dl>
<a class="button" id="logout" href="{{.LogoutPath}}">退出 / Log out</a>
{{else}}<h1>欢迎 / Welcome</h1><p>This app signs you in with jAccount and shows your profile.</p>
<a class="button" id="login" href="{{.LoginPath}}">使用 jAccount 登录 / Log in with jAccount</a>
{{end}}</main></body></html>
`))

func render(w http.ResponseWriter, code int, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = page.Execute(w, d)
}
