package jaccounttest

import (
	"html/template"
	"net/http"
)

// The pages of the fake. Element ids (username, password, login, approve,
// deny, error) are stable so that browser tests can drive them.
var pages = template.Must(template.New("pages").Parse(`
{{define "head"}}<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} - jAccount (jaccounttest)</title>
<style>
body{font-family:"Noto Sans CJK SC","Noto Sans SC",sans-serif;background:#f2f4f7;margin:0}
header{background:#c8161e;color:#fff;padding:14px 24px;font-size:18px}
main{max-width:620px;margin:40px auto;background:#fff;padding:24px 28px;border-radius:6px;box-shadow:0 1px 4px #0002}
label{display:block;margin-top:12px}input[type=text],input[type=password]{width:100%;padding:8px;box-sizing:border-box}
button{margin-top:16px;padding:8px 18px;font-size:15px}.error{color:#c8161e}.note{color:#666;font-size:13px}
h2{font-size:16px;margin-top:28px}table{border-collapse:collapse;font-size:13px;width:100%}
th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #e3e6ea}th{color:#666;font-weight:normal}
td form{margin:0}button.as{margin:0;padding:3px 10px;font-size:13px;white-space:nowrap}td code{white-space:nowrap}
</style></head><body><header>上海交通大学 jAccount 统一身份认证 · 测试服务器</header><main>
{{end}}
{{define "foot"}}<p class="note">This is jaccounttest, a fake jAccount for tests; nothing here is real.</p></main></body></html>
{{end}}
{{define "login"}}{{template "head" .}}<h1>登录 / Sign in</h1>
<p>应用 <b>{{.ClientID}}</b> 请求使用你的 jAccount 登录。</p>
{{if .Error}}<p id="error" class="error">{{.Error}}</p>{{end}}
<form method="post" action="/oauth2/authorize" data-form="login">
<input type="hidden" name="ticket" value="{{.Ticket}}">
<label for="username">用户名 / Username</label><input type="text" id="username" name="username" autocomplete="username" autofocus>
<label for="password">密码 / Password</label><input type="password" id="password" name="password" autocomplete="current-password">
<button type="submit" id="login" name="action" value="login">登录 / Sign in</button>
</form>
{{if .Users}}<h2>测试账号 / Test accounts</h2>
<p class="note">这是测试服务器：点击即可登录 / a fake: click to sign in as one of them.</p>
<table id="accounts"><tr><th>用户名 / username</th><th>密码 / password</th><th>姓名 / name</th><th>类型 / type</th><th></th></tr>
{{range .Users}}<tr><td><code>{{.Username}}</code></td><td><code>{{.Password}}</code></td><td>{{.Name}}</td><td>{{.Type}}</td>
<td><form method="post" action="/oauth2/authorize"><input type="hidden" name="ticket" value="{{$.Ticket}}">
<input type="hidden" name="username" value="{{.Username}}"><input type="hidden" name="password" value="{{.Password}}">
<button type="submit" class="as" name="action" value="login" data-user="{{.Username}}">登录 / Sign in</button></form></td></tr>
{{end}}</table>{{end}}
{{template "foot" .}}{{end}}
{{define "consent"}}{{template "head" .}}<h1>授权 / Authorize</h1>
<p>你好，<b id="who">{{.Name}}</b>。应用 <b>{{.ClientID}}</b> 请求以下权限 / requests these scopes:</p>
<ul id="scopes">{{range .Scopes}}<li><code>{{.}}</code></li>{{end}}</ul>
<form method="post" action="/oauth2/authorize" data-form="consent">
<input type="hidden" name="ticket" value="{{.Ticket}}">
<button type="submit" id="approve" name="action" value="approve">同意 / Allow</button>
<button type="submit" id="deny" name="action" value="deny">拒绝 / Deny</button>
</form>
{{template "foot" .}}{{end}}
{{define "message"}}{{template "head" .}}<h1>{{.Title}}</h1><p id="{{.ID}}">{{.Message}}</p>
{{if .Details}}<ul id="details">{{range .Details}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{template "foot" .}}{{end}}
`))

// pageData is what every page template reads.
type pageData struct {
	Title    string
	ID       string // element id of a message
	Message  string
	Error    string
	Ticket   string
	ClientID string
	Name     string
	Scopes   []string
	Users    []loginUser
	Details  []string // further lines of a message
}

// loginUser is a fixture account as the login page lists it: these are
// test values, shown so that a developer can click through.
type loginUser struct {
	Username, Password, Name, Type string
}

func renderPage(w http.ResponseWriter, code int, name string, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(code)
	_ = pages.ExecuteTemplate(w, name, d)
}

// renderError shows an error page, with further lines of detail; neither
// may contain a credential.
func renderError(w http.ResponseWriter, code int, message string, details ...string) {
	renderPage(w, code, "message", pageData{Title: "错误 / Error", ID: "error", Message: message, Details: details})
}
