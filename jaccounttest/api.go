package jaccounttest

import (
	"context"
	"encoding/base64"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/oauth-jaccount/jaccount-go/gen"
)

// principal is who an API request acts for.
type principal struct {
	grant
	user *User // nil for a client-credentials token
}

// bearerToken extracts the access token of an API request and says where
// it came from. A malformed Authorization header yields an empty token.
func bearerToken(r *http.Request) (string, Credential) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", CredentialNone
		}
		tok = strings.TrimSpace(tok)
		if tok == "" || strings.ContainsAny(tok, " \t") {
			return "", CredentialNone
		}
		return tok, CredentialBearer
	}
	if tok := r.URL.Query().Get("access_token"); tok != "" {
		return tok, CredentialQuery
	}
	return "", CredentialNone
}

// envelopeError writes an error in the API envelope.
func envelopeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, gen.Envelope{Errno: status, Error: msg})
}

// apiHandler serves /v1/: authentication here, scopes per operation from
// the spec, the operations through gen's strict server.
func (s *Server) apiHandler() http.Handler {
	mux := http.NewServeMux()
	strict := gen.NewStrictHandlerWithOptions(apiServer{s}, nil, gen.StrictHTTPServerOptions{
		RequestErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			envelopeError(w, http.StatusBadRequest, "bad request")
		},
		ResponseErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			envelopeError(w, http.StatusInternalServerError, "internal error")
		},
	})
	gen.HandlerWithOptions(strict, gen.StdHTTPServerOptions{
		BaseRouter:  mux,
		Middlewares: []gen.MiddlewareFunc{s.requireScopes},
		ErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			// The generated binder's message names the parameter only.
			envelopeError(w, http.StatusBadRequest, err.Error())
		},
	})
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		envelopeError(w, http.StatusNotFound, "no such API")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, cred := bearerToken(r)
		s.mu.Lock()
		at, ok := s.access[tok]
		var p *principal
		reason, errno := "", errnoAuthFailed
		switch {
		case tok == "" || !ok:
			reason = "invalid access token"
		case at.revoked:
			reason = "access token revoked"
		case !s.now().Before(at.expiry):
			reason, errno = "access token expired", errnoTokenExpired
		default:
			p = &principal{grant: at.grant, user: s.users[at.username]}
			if at.username != "" && p.user == nil {
				p, reason = nil, "the user no longer exists"
			}
		}
		s.mu.Unlock()
		if ok {
			note(r, cred, at.clientID)
		} else {
			note(r, cred, r.URL.Query().Get("client_id"))
		}
		if p == nil {
			s.logRejected(r, http.StatusForbidden, reason)
			rejectToken(w, errno)
			return
		}
		mux.ServeHTTP(w, withValue(r, principalKey, p))
	})
}

// The errnos with which the live API rejects a token (jaccount-api.md §0).
const (
	errnoAuthFailed   = 10002 // AUTHENTICATION_FAILED: unknown, revoked or missing token
	errnoTokenExpired = 10007 // ACCESS_TOKEN_EXPIRED
)

// rejection is the live API's answer to a bad token: errno, error and total,
// without entities.
type rejection struct {
	Errno int    `json:"errno"`
	Error string `json:"error"`
	Total int    `json:"total"`
}

// rejectToken answers as the live API does when it refuses the access
// token: HTTP 403 with {"errno":10002,"error":"Authentication Failed.",
// "total":0}; an expired token gets errno 10007 (its message is the
// errno's symbolic name, the live text being unrecorded).
func rejectToken(w http.ResponseWriter, errno int) {
	msg := "Authentication Failed."
	if errno == errnoTokenExpired {
		msg = "ACCESS_TOKEN_EXPIRED"
	}
	writeJSON(w, http.StatusForbidden, rejection{Errno: errno, Error: msg})
}

// requireScopes enforces the matched operation's security requirements,
// looked up in the spec by the route pattern the mux matched.
func (s *Server) requireScopes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.Context().Value(principalKey).(*principal)
		alts, ok := s.spec.security[r.Pattern]
		if !ok {
			envelopeError(w, http.StatusInternalServerError, "operation missing from the spec")
			return
		}
		if !allowed(alts, p.scopes) {
			s.logRejected(r, http.StatusForbidden, "insufficient scope")
			envelopeError(w, http.StatusForbidden, "insufficient scope")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// apiServer implements gen.StrictServerInterface from the fixtures.
type apiServer struct{ s *Server }

var _ gen.StrictServerInterface = apiServer{}

// me returns the signed-in user of the request, or nil for a
// client-credentials token.
func me(ctx context.Context) *User { return ctx.Value(principalKey).(*principal).user }

func scopesOf(ctx context.Context) []string { return ctx.Value(principalKey).(*principal).scopes }

func errEnvelope(status int, msg string) gen.Envelope { return gen.Envelope{Errno: status, Error: msg} }

const noUser = "this API needs a user's authorization (authorization-code grant)"

// profileFor trims the profile to the widest of the scopes granted:
// basic < essential < profile < privacy.
func profileFor(full gen.Profile, scopes []string) gen.Profile {
	level := 0
	for i, sc := range []string{"basic", "essential", "profile", "privacy"} {
		if slices.Contains(scopes, sc) {
			level = i + 1
		}
	}
	p := gen.Profile{Id: full.Id, Account: full.Account, Name: full.Name, Kind: full.Kind,
		Code: full.Code, UserType: full.UserType}
	if level >= 2 {
		p.Organize, p.TopOrganize, p.ClassNo = full.Organize, full.TopOrganize, full.ClassNo
		p.Identities = full.Identities
	}
	if level >= 3 {
		p.Avatars, p.Gender, p.Email, p.TimeZone = full.Avatars, full.Gender, full.Email, full.TimeZone
		p.AccountPhotoUrl, p.CardNo, p.CardType = full.AccountPhotoUrl, full.CardNo, full.CardType
	}
	if level >= 4 {
		p.Birthday, p.Mobile, p.UnionId = full.Birthday, full.Mobile, full.UnionId
	}
	return p
}

// GetMyProfile implements gen.StrictServerInterface.
func (a apiServer) GetMyProfile(ctx context.Context, _ gen.GetMyProfileRequestObject) (gen.GetMyProfileResponseObject, error) {
	u := me(ctx)
	if u == nil {
		return gen.GetMyProfile403JSONResponse{ForbiddenJSONResponse: gen.ForbiddenJSONResponse(errEnvelope(403, noUser))}, nil
	}
	return gen.GetMyProfile200JSONResponse{Errno: 0, Error: "success", Total: 1,
		Entities: []gen.Profile{profileFor(u.Profile, scopesOf(ctx))}}, nil
}

// GetUserPositions implements gen.StrictServerInterface.
func (a apiServer) GetUserPositions(ctx context.Context, _ gen.GetUserPositionsRequestObject) (gen.GetUserPositionsResponseObject, error) {
	u := me(ctx)
	if u == nil {
		return gen.GetUserPositions403JSONResponse{ForbiddenJSONResponse: gen.ForbiddenJSONResponse(errEnvelope(403, noUser))}, nil
	}
	// The documentation's sample reply says "Succeed.", not "success".
	return gen.GetUserPositions200JSONResponse{Errno: 0, Error: "Succeed.", Total: 1,
		Entities: []gen.UserPositions{{Account: u.Username, Name: u.Profile.Name, Positions: u.Positions}}}, nil
}

// GetUserRights implements gen.StrictServerInterface. It serves any
// account's rights, for user and client-credentials tokens alike.
func (a apiServer) GetUserRights(_ context.Context, req gen.GetUserRightsRequestObject) (gen.GetUserRightsResponseObject, error) {
	if req.Params.Account == "" {
		return gen.GetUserRights400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(errEnvelope(400, "account is required"))}, nil
	}
	a.s.mu.Lock()
	u, ok := a.s.users[req.Params.Account]
	a.s.mu.Unlock()
	if !ok {
		return gen.GetUserRightsdefaultJSONResponse{StatusCode: 404, Body: errEnvelope(404, "no such account")}, nil
	}
	return gen.GetUserRights200JSONResponse{Errno: 0, Error: "success", Total: int64(len(u.Rights)),
		Entities: nonNil(u.Rights)}, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

var semesterRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{4}-[1-3]$`)

// ListMyLessons implements gen.StrictServerInterface.
func (a apiServer) ListMyLessons(ctx context.Context, _ gen.ListMyLessonsRequestObject) (gen.ListMyLessonsResponseObject, error) {
	u := me(ctx)
	if u == nil {
		return gen.ListMyLessons403JSONResponse{ForbiddenJSONResponse: gen.ForbiddenJSONResponse(errEnvelope(403, noUser))}, nil
	}
	l := nonNil(u.Lessons[a.s.cfg.semester])
	return gen.ListMyLessons200JSONResponse{Errno: 0, Error: "success", Total: int64(len(l)), Entities: l}, nil
}

// ListMyLessonsBySemester implements gen.StrictServerInterface.
func (a apiServer) ListMyLessonsBySemester(ctx context.Context, req gen.ListMyLessonsBySemesterRequestObject) (gen.ListMyLessonsBySemesterResponseObject, error) {
	u := me(ctx)
	switch {
	case !semesterRE.MatchString(req.Semester):
		return gen.ListMyLessonsBySemester400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(errEnvelope(400, "semester must look like 2024-2025-1"))}, nil
	case u == nil:
		return gen.ListMyLessonsBySemester403JSONResponse{ForbiddenJSONResponse: gen.ForbiddenJSONResponse(errEnvelope(403, noUser))}, nil
	}
	l := nonNil(u.Lessons[req.Semester])
	return gen.ListMyLessonsBySemester200JSONResponse{Errno: 0, Error: "success", Total: int64(len(l)), Entities: l}, nil
}

// GetLesson implements gen.StrictServerInterface: any user's teaching
// class, by code or bsid.
func (a apiServer) GetLesson(_ context.Context, req gen.GetLessonRequestObject) (gen.GetLessonResponseObject, error) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	for _, u := range a.s.users {
		for _, ls := range u.Lessons {
			for _, l := range ls {
				if l.Code == req.Code || l.Bsid == req.Code {
					return gen.GetLesson200JSONResponse{Errno: 0, Error: "success", Total: 1, Entities: []gen.Lesson{l}}, nil
				}
			}
		}
	}
	return gen.GetLesson404JSONResponse{NotFoundJSONResponse: gen.NotFoundJSONResponse(errEnvelope(404, "no such lesson"))}, nil
}

// ListMyExaminations implements gen.StrictServerInterface.
func (a apiServer) ListMyExaminations(ctx context.Context, _ gen.ListMyExaminationsRequestObject) (gen.ListMyExaminationsResponseObject, error) {
	u := me(ctx)
	if u == nil {
		return gen.ListMyExaminations403JSONResponse{ForbiddenJSONResponse: gen.ForbiddenJSONResponse(errEnvelope(403, noUser))}, nil
	}
	return gen.ListMyExaminations200JSONResponse{Errno: 0, Error: "success", Total: int64(len(u.Examinations)),
		Entities: nonNil(u.Examinations)}, nil
}

// GetMyCard implements gen.StrictServerInterface.
func (a apiServer) GetMyCard(ctx context.Context, _ gen.GetMyCardRequestObject) (gen.GetMyCardResponseObject, error) {
	u := me(ctx)
	if u == nil {
		return gen.GetMyCard403JSONResponse{ForbiddenJSONResponse: gen.ForbiddenJSONResponse(errEnvelope(403, noUser))}, nil
	}
	card := u.Card
	card.User = gen.Profile{Account: u.Username, Name: u.Profile.Name, Code: u.Profile.Code, Kind: u.Profile.Kind}
	return gen.GetMyCard200JSONResponse{Errno: 0, Error: "success", Total: 1, Entities: []gen.CardInfo{card}}, nil
}

// ListMyCardTransactions implements gen.StrictServerInterface: the
// transactions between beginDate and endDate (both inclusive, epoch ms),
// newest first, in pages chained by nextToken.
func (a apiServer) ListMyCardTransactions(ctx context.Context, req gen.ListMyCardTransactionsRequestObject) (gen.ListMyCardTransactionsResponseObject, error) {
	bad := func(msg string) (gen.ListMyCardTransactionsResponseObject, error) {
		return gen.ListMyCardTransactions400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(errEnvelope(400, msg))}, nil
	}
	u := me(ctx)
	prm := req.Params
	switch {
	case u == nil:
		return gen.ListMyCardTransactions403JSONResponse{ForbiddenJSONResponse: gen.ForbiddenJSONResponse(errEnvelope(403, noUser))}, nil
	case prm.CardNo != "" && prm.CardNo != u.Card.CardNo:
		return bad("unknown cardNo")
	case prm.BeginDate < 0 || prm.EndDate < 0 || (prm.EndDate != 0 && prm.EndDate < prm.BeginDate):
		return bad("bad date range")
	}
	offset, ok := decodePageToken(prm.NextToken)
	if !ok {
		return bad("bad nextToken")
	}
	var all []gen.CardTransaction
	for i := len(u.Transactions) - 1; i >= 0; i-- {
		t := u.Transactions[i]
		if t.DateTime >= prm.BeginDate && (prm.EndDate == 0 || t.DateTime <= prm.EndDate) {
			all = append(all, t)
		}
	}
	if offset > len(all) {
		return bad("bad nextToken")
	}
	end := min(offset+a.s.cfg.pageSize, len(all))
	resp := gen.ListMyCardTransactions200JSONResponse{Errno: 0, Error: "success", Total: int64(len(all)),
		Entities: nonNil(all[offset:end])}
	if end < len(all) {
		resp.NextToken = encodePageToken(end)
	}
	return resp, nil
}

// Page tokens are opaque to clients; inside they are an offset.
func encodePageToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(offset)))
}

func decodePageToken(tok string) (int, bool) {
	if tok == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "offset:"))
	if err != nil || n < 0 || !strings.HasPrefix(string(b), "offset:") {
		return 0, false
	}
	return n, true
}
