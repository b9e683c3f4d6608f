package jaccounttest

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"

	"github.com/oauth-jaccount/jaccount-go/gen"
)

// handlers are the stateful handlers, by operationId: they serve the
// fixtures (each user's profile, lessons, card…) where the default handler
// would serve the spec's example. An operation without one is served its
// example.
var handlers = map[string]handler{
	"getMyProfile":            (*Server).getMyProfile,
	"getUserPositions":        (*Server).getUserPositions,
	"getUserRights":           (*Server).getUserRights,
	"listMyLessons":           (*Server).listMyLessons,
	"listMyLessonsBySemester": (*Server).listMyLessonsBySemester,
	"getLesson":               (*Server).getLesson,
	"listMyExaminations":      (*Server).listMyExaminations,
	"getMyCard":               (*Server).getMyCard,
	"listMyCardTransactions":  (*Server).listMyCardTransactions,
}

const noUser = "this API needs a user's authorization (authorization-code grant)"

// forbiddenWithoutUser is the reply to a client-credentials token on an
// operation about the signed-in user.
var forbiddenWithoutUser = fail(http.StatusForbidden, noUser)

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

func (s *Server) getMyProfile(_ *http.Request, p *principal) reply {
	if p.user == nil {
		return forbiddenWithoutUser
	}
	return ok([]gen.Profile{profileFor(p.user.Profile, p.scopes)}, 1)
}

func (s *Server) getUserPositions(_ *http.Request, p *principal) reply {
	if p.user == nil {
		return forbiddenWithoutUser
	}
	rep := ok([]gen.UserPositions{{Account: p.user.Username, Name: p.user.Profile.Name, Positions: p.user.Positions}}, 1)
	// The documentation's sample reply says "Succeed.", not "success".
	rep.body.(*page[gen.UserPositions]).Error = "Succeed."
	return rep
}

// getUserRights serves any account's rights, for user and
// client-credentials tokens alike.
func (s *Server) getUserRights(r *http.Request, _ *principal) reply {
	account := r.URL.Query().Get("account")
	if account == "" {
		return fail(http.StatusBadRequest, "account is required")
	}
	s.mu.Lock()
	u, found := s.users[account]
	s.mu.Unlock()
	if !found {
		return fail(http.StatusNotFound, "no such account")
	}
	return ok(u.Rights, len(u.Rights))
}

var semesterRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{4}-[1-3]$`)

func (s *Server) listMyLessons(_ *http.Request, p *principal) reply {
	if p.user == nil {
		return forbiddenWithoutUser
	}
	l := p.user.Lessons[s.cfg.semester]
	return ok(l, len(l))
}

func (s *Server) listMyLessonsBySemester(r *http.Request, p *principal) reply {
	semester := r.PathValue("semester")
	switch {
	case !semesterRE.MatchString(semester):
		return fail(http.StatusBadRequest, "semester must look like 2024-2025-1")
	case p.user == nil:
		return forbiddenWithoutUser
	}
	l := p.user.Lessons[semester]
	return ok(l, len(l))
}

// getLesson serves any user's teaching class, by code or bsid.
func (s *Server) getLesson(r *http.Request, _ *principal) reply {
	code := r.PathValue("code")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		for _, ls := range u.Lessons {
			for _, l := range ls {
				if l.Code == code || l.Bsid == code {
					return ok([]gen.Lesson{l}, 1)
				}
			}
		}
	}
	return fail(http.StatusNotFound, "no such lesson")
}

func (s *Server) listMyExaminations(_ *http.Request, p *principal) reply {
	if p.user == nil {
		return forbiddenWithoutUser
	}
	return ok(p.user.Examinations, len(p.user.Examinations))
}

func (s *Server) getMyCard(_ *http.Request, p *principal) reply {
	if p.user == nil {
		return forbiddenWithoutUser
	}
	card := p.user.Card
	u := p.user
	card.User = gen.Profile{Account: u.Username, Name: u.Profile.Name, Code: u.Profile.Code, Kind: u.Profile.Kind}
	return ok([]gen.CardInfo{card}, 1)
}

// listMyCardTransactions serves the transactions between beginDate and
// endDate (both inclusive, epoch ms), newest first, paged as the spec says.
func (s *Server) listMyCardTransactions(r *http.Request, p *principal) reply {
	if p.user == nil {
		return forbiddenWithoutUser
	}
	q := r.URL.Query()
	epoch := func(name string) (int64, bool) {
		if q.Get(name) == "" {
			return 0, true
		}
		n, err := strconv.ParseInt(q.Get(name), 10, 64)
		return n, err == nil && n >= 0
	}
	begin, okBegin := epoch("beginDate")
	end, okEnd := epoch("endDate")
	switch {
	case q.Get("cardNo") != "" && q.Get("cardNo") != p.user.Card.CardNo:
		return fail(http.StatusBadRequest, "unknown cardNo")
	case !okBegin || !okEnd || (end != 0 && end < begin):
		return fail(http.StatusBadRequest, "bad date range")
	}
	var all []gen.CardTransaction
	for i := len(p.user.Transactions) - 1; i >= 0; i-- {
		t := p.user.Transactions[i]
		if t.DateTime >= begin && (end == 0 || t.DateTime <= end) {
			all = append(all, t)
		}
	}
	return pageOf(operationByID("listMyCardTransactions").paging, q, all, s.cfg.pageSize)
}

// operationByID returns the operation with the given id; it panics for an
// unknown one, which a test of the handlers table rules out.
func operationByID(id string) *operation {
	for i := range operations {
		if operations[i].id == id {
			return &operations[i]
		}
	}
	panic("jaccounttest: no operation " + id)
}
