package main

import (
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/oauth-jaccount/jaccount-go/auth/redisstore"
	"github.com/oauth-jaccount/jaccount-go/examples/internal/setup"
	"github.com/oauth-jaccount/jaccount-go/gen"
	"github.com/oauth-jaccount/jaccount-go/web"
)

// scopes are what the app asks for: an ID token and the full profile.
var scopes = []string{"openid", "basic", "essential", "profile"}

// settings are the app's deployment choices.
type settings struct {
	// key encrypts the cookies (at least web.MinKeyLength bytes).
	key []byte
	// behindTLS says a proxy terminates TLS in front of the app, so its
	// cookies must be Secure although it serves plain HTTP.
	behindTLS bool
	// redis, when set, keeps the sessions, revocations and tokens that
	// all instances share; nil keeps them in this process.
	redis *redisstore.WebStore
}

// newApp returns the app's handler. baseURL is where the app is served
// (e.g. http://127.0.0.1:8080); its callback is baseURL + /jaccount/auth
// unless env names a redirect URL. Everything about signing in — routes,
// cookies, CSRF, logout — is package web's; the app only has its pages.
func newApp(env *setup.Env, baseURL string, s settings, log *slog.Logger) (http.Handler, error) {
	cfg := *env.Config
	if cfg.RedirectURL == "" {
		cfg.RedirectURL = strings.TrimSuffix(baseURL, "/") + "/jaccount/auth"
	}
	cfg.Scopes = scopes
	tokens := web.NewMemoryStore().TokenStore // the users' tokens stay on the server
	var shared []web.Option
	if s.redis != nil {
		tokens = s.redis.TokenStore
		shared = []web.Option{web.WithSessionStore(s.redis), web.WithRevocationStore(s.redis)}
	}
	opts := append([]web.Option{web.WithSessionKeys(s.key), web.WithLogger(log),
		web.WithTokenStore(tokens), web.WithAPIOptions(env.APIOptions()...)}, shared...)
	if s.behindTLS {
		opts = append(opts, web.WithSecureCookies())
	}
	login, err := web.New(&cfg, opts...)
	if err != nil {
		return nil, fmt.Errorf("web login: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/jaccount/", login)
	mux.Handle("GET /{$}", login.OptionalUser(http.HandlerFunc(home)))
	mux.Handle("GET /profile", login.RequireUser(http.HandlerFunc(profile)))
	mux.Handle("GET /account", login.RequireUser(http.HandlerFunc(home))) // signed-in only, no API call
	return mux, nil
}

// home greets the signed-in user by the ID token's claims, or offers the
// login.
func home(w http.ResponseWriter, r *http.Request) {
	render(w, http.StatusOK, pageData{User: web.UserFrom(r.Context())})
}

// profile shows the profile, read from the API as the signed-in user with
// the token the server keeps for them.
func profile(w http.ResponseWriter, r *http.Request) {
	u := web.UserFrom(r.Context())
	c, err := u.API()
	if err != nil {
		render(w, http.StatusInternalServerError, pageData{User: u, Error: "cannot call the API / 无法调用接口"})
		return
	}
	p, err := c.Profile.Get(r.Context())
	if err != nil {
		render(w, http.StatusBadGateway, pageData{User: u, Error: "cannot read your profile / 无法读取个人信息"})
		return
	}
	render(w, http.StatusOK, pageData{User: u, Profile: p})
}

// pageData is what the page template reads.
type pageData struct {
	User    *web.User
	Profile *gen.Profile
	Error   string
}

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>jAccount example app</title>
<style>
body{font-family:"Noto Sans CJK SC","Noto Sans SC",sans-serif;margin:0;background:#fafafa}
header{background:#004a8f;color:#fff;padding:14px 24px;font-size:18px}
main{max-width:560px;margin:32px auto;background:#fff;padding:24px 28px;border-radius:6px;box-shadow:0 1px 4px #0002}
dt{color:#666;font-size:13px;margin-top:10px}dd{margin:2px 0 0 0;font-size:17px}
.error{color:#b00020}a.button,button{display:inline-block;margin-top:18px;padding:8px 18px;background:#004a8f;color:#fff;text-decoration:none;border:0;border-radius:4px;font-size:15px;cursor:pointer}
form.jaccount-logout{display:inline}
</style></head><body><header>jAccount example app · 示例应用</header><main>
{{with .User}}<h1>你好，<span id="name">{{.Claims.Name}}</span></h1>
{{with $.Error}}<p id="error" class="error">{{.}}</p>{{end}}
{{with $.Profile}}<dl id="profile">
<dt>jAccount</dt><dd id="account">{{.Account}}</dd>
<dt>学号/工号 Code</dt><dd id="code">{{.Code}}</dd>
<dt>身份 Type</dt><dd id="type">{{.UserType}}</dd>
<dt>单位 Organization</dt><dd id="organize">{{.Organize.Name}}</dd>
<dt>Email</dt><dd id="email">{{.Email}}</dd>
</dl>
{{else}}<p>jAccount: <b id="account">{{.Claims.Subject}}</b></p><a class="button" id="profile-link" href="/profile">个人信息 / Profile</a>
{{end}}{{.LogoutForm ""}}
{{else}}<h1>欢迎 / Welcome</h1><p>This app signs you in with jAccount and shows your profile.</p>
<a class="button" id="login" href="/jaccount/login">使用 jAccount 登录 / Log in with jAccount</a>
{{end}}</main></body></html>
`))

func render(w http.ResponseWriter, code int, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// The page holds the logout button: no other site may frame it and
	// trick the user into clicking it (package web's own pages say the same).
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
	w.WriteHeader(code)
	_ = page.Execute(w, d)
}
