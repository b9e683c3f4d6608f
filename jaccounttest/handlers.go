package jaccounttest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/oauth-jaccount/jaccount-go/gen"
)

// handlers are the stateful handlers, by operationId: they serve the
// fixtures (each user's profile, lessons, card…) where the default handler
// would serve the spec's example. An operation without one is served its
// example.
var handlers = map[string]handler{
	"getMyProfile":                 (*Server).getMyProfile,
	"getUserProfile":               (*Server).getUserProfile,
	"getUserPositions":             (*Server).getUserPositions,
	"getUserRights":                (*Server).getUserRights,
	"listMyLessons":                (*Server).listMyLessons,
	"listMyLessonsBySemester":      (*Server).listMyLessonsBySemester,
	"getLesson":                    (*Server).getLesson,
	"listMyExaminations":           (*Server).listMyExaminations,
	"listMyExaminationsBySemester": (*Server).listMyExaminationsBySemester,
	"getMyCard":                    (*Server).getMyCard,
	"listMyCardTransactions":       (*Server).listMyCardTransactions,
	"listUnicodeTransactions":      (*Server).listUnicodeTransactions,
	"listMyCircles":                (*Server).listMyCircles,
	"getBarcodeQR":                 (*Server).getBarcodeQR,
	"getBarcode":                   (*Server).getBarcode,
	"getFileThumbnail":             (*Server).getFileThumbnail,
	"uploadFile":                   (*Server).uploadFile,
}

// forbiddenWithoutUser is the reply to a client-credentials token on an
// operation about the signed-in user. The router already refuses a token
// of a grant the operation's security does not take (authorize); this
// guards the handlers that need a user should the spec ever let another
// grant in.
var forbiddenWithoutUser = grantFailure([]requirement{{grants: []string{grantAuthCode}}})

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
		AdditionalProperties: full.AdditionalProperties}
	if level >= 2 {
		p.Code, p.UserType = full.Code, full.UserType
		p.Organize, p.TopOrganize = full.Organize, full.TopOrganize
		p.Identities = full.Identities
	}
	if level >= 3 {
		p.ClassNo, p.Gender, p.About, p.Email, p.TimeZone = full.ClassNo, full.Gender, full.About, full.Email, full.TimeZone
		p.AccountPhotoUrl, p.AccountExpireDate = full.AccountPhotoUrl, full.AccountExpireDate
	}
	if level >= 4 {
		p.Avatars, p.Birthday, p.Mobile, p.UnionId = full.Avatars, full.Birthday, full.Mobile, full.UnionId
		p.CardNo, p.CardType = full.CardNo, full.CardType
	}
	return p
}

// profileOK is the reply of a profile: total 0 with the one entity, as the
// live API answers (the documentation's and real replies' total is 0).
func profileOK(p gen.Profile) reply { return ok([]gen.Profile{p}, 0) }

func (s *Server) getMyProfile(_ *http.Request, p *principal) reply {
	if p.user == nil {
		return forbiddenWithoutUser
	}
	return profileOK(profileFor(p.user.Profile, p.scopes))
}

// getUserProfile serves any user's profile, by account or by id, to user
// and client-credentials tokens alike, trimmed to the token's scopes.
func (s *Server) getUserProfile(r *http.Request, p *principal) reply {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.Username == id || (u.Profile.Id != "" && u.Profile.Id == id) {
			return profileOK(profileFor(u.Profile, p.scopes))
		}
	}
	return fail(http.StatusNotFound, errnoNotFound, "no user "+id)
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
// client-credentials tokens alike. Without account it serves the token's
// user's, as a call with a user's token and no account succeeds (evidence
// E1; whose rights it returns is not shown, the user's is the plain
// reading); a client-credentials token has no user, so it must name one.
func (s *Server) getUserRights(r *http.Request, p *principal) reply {
	account := r.URL.Query().Get("account")
	if account == "" {
		if p.user == nil {
			return fail(http.StatusBadRequest, errnoBadParameters, "account is required with a client-credentials token")
		}
		account = p.user.Username
	}
	s.mu.Lock()
	u, found := s.users[account]
	s.mu.Unlock()
	if !found {
		return fail(http.StatusNotFound, errnoNotFound, "no account "+account)
	}
	return ok(u.Rights, len(u.Rights))
}

var semesterRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{4}-[1-3]$`)

func (s *Server) listMyLessons(r *http.Request, p *principal) reply {
	if p.user == nil {
		return forbiddenWithoutUser
	}
	return ok(withoutClasses(r, p.user.Lessons[s.cfg.semester]), 0)
}

// withoutClasses leaves out the lessons' classes when the request says
// classes=false (as jCourse and SJTU-Plus ask).
func withoutClasses(r *http.Request, ls []gen.Lesson) []gen.Lesson {
	if v := r.URL.Query().Get("classes"); !strings.EqualFold(v, "false") {
		return ls
	}
	out := make([]gen.Lesson, len(ls))
	for i, l := range ls {
		l.Classes = nil
		out[i] = l
	}
	return out
}

// userSemester is the {semester} of a per-user request, or the reply
// refusing a malformed semester or a token without a user.
func userSemester(r *http.Request, p *principal) (string, *reply) {
	semester := r.PathValue("semester")
	switch {
	case !semesterRE.MatchString(semester):
		bad := fail(http.StatusBadRequest, errnoBadParameters, "semester must look like 2024-2025-1")
		return "", &bad
	case p.user == nil:
		bad := forbiddenWithoutUser
		return "", &bad
	}
	return semester, nil
}

func (s *Server) listMyLessonsBySemester(r *http.Request, p *principal) reply {
	semester, bad := userSemester(r, p)
	if bad != nil {
		return *bad
	}
	return ok(withoutClasses(r, p.user.Lessons[semester]), 0)
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
					return ok([]gen.Lesson{l}, 0)
				}
			}
		}
	}
	return fail(http.StatusNotFound, errnoInvalidClasses, "no teaching class "+code)
}

func (s *Server) listMyExaminations(_ *http.Request, p *principal) reply {
	if p.user == nil {
		return forbiddenWithoutUser
	}
	return ok(p.user.Examinations, 0)
}

// listMyExaminationsBySemester serves the examinations whose "semester"
// member (the fixtures' own, the shape being undocumented) is the one asked.
func (s *Server) listMyExaminationsBySemester(r *http.Request, p *principal) reply {
	semester, bad := userSemester(r, p)
	if bad != nil {
		return *bad
	}
	var out []gen.Examination
	for _, e := range p.user.Examinations {
		if e["semester"] == semester {
			out = append(out, e)
		}
	}
	return ok(out, 0)
}

func (s *Server) getMyCard(_ *http.Request, p *principal) reply {
	if p.user == nil {
		return forbiddenWithoutUser
	}
	// The documentation: the user is a profile with only name, code,
	// organize.name and userType (its example adds timeZone 0).
	card := p.user.Card
	u := p.user.Profile
	card.User = gen.Profile{Name: u.Name, Code: u.Code, UserType: u.UserType, Organize: gen.Organize{Name: u.Organize.Name},
		AdditionalProperties: map[string]any{"timeZone": json.Number("0")}}
	return ok([]gen.CardInfo{card}, 0)
}

// dateRange reads the beginDate and endDate of a transactions request
// (integers in the operation's unit; either may be absent).
func dateRange(q url.Values) (begin, end int64, okRange bool) {
	epoch := func(name string) (int64, bool) {
		if q.Get(name) == "" {
			return 0, true
		}
		n, err := strconv.ParseInt(q.Get(name), 10, 64)
		return n, err == nil && n >= 0
	}
	begin, okBegin := epoch("beginDate")
	end, okEnd := epoch("endDate")
	return begin, end, okBegin && okEnd && (end == 0 || end >= begin)
}

// transactionsPage serves one page of the operation opID: the items (oldest
// first, sorted by at) whose time is between the request's beginDate and
// endDate (both inclusive), newest first, paged as the spec says, or all of
// them when unpaged. each, if not nil, adjusts every item served (a copy).
// The date range is found by binary search and only the page is copied, so
// a page costs O(log n + page), not O(n): a client walking a long history
// page by page does not cost the fake rows² ÷ page size.
func transactionsPage[T any](s *Server, r *http.Request, opID string, items []T, at func(T) int64, unpaged bool, each func(*T)) reply {
	q := r.URL.Query()
	begin, end, okRange := dateRange(q)
	if !okRange {
		return fail(http.StatusBadRequest, errnoBadParameters, "bad date range")
	}
	// items[lo:hi] are in the range, oldest first.
	lo := sort.Search(len(items), func(i int) bool { return at(items[i]) >= begin })
	hi := len(items)
	if end != 0 {
		hi = sort.Search(len(items), func(i int) bool { return at(items[i]) > end })
	}
	n := max(hi-lo, 0)
	pg := operationByID(opID).paging
	from, to := 0, n
	if !unpaged {
		var bad *reply
		if from, to, bad = pageBounds(pg, q, n, s.cfg.pageSize); bad != nil {
			return *bad
		}
	}
	// Newest first: the k-th item of the range is items[hi-1-k].
	out := make([]T, to-from)
	for k := range out {
		out[k] = items[hi-1-from-k]
		if each != nil {
			each(&out[k])
		}
	}
	return pageReply(pg, out, to, n)
}

// listMyCardTransactions serves the card's transactions (beginDate and
// endDate in epoch ms), paged by start and limit with the whole count in
// total, with the rules card.html gives (evidence E8, read second-hand from
// the live page): limit is 0 to 100 (the spec's maxPageSize), and limit=0
// turns paging off and then needs beginDate; start is a multiple of the
// page size; orderBy is dateTime (the default) or dateTimeAccount, which
// adds each transaction's dateTimAccount. The fake orders by dateTime
// either way: its fixtures' posting times follow their transaction times.
func (s *Server) listMyCardTransactions(r *http.Request, p *principal) reply {
	q := r.URL.Query()
	switch {
	case p.user == nil:
		return forbiddenWithoutUser
	case q.Get("cardNo") != "" && q.Get("cardNo") != p.user.Card.CardNo:
		return fail(http.StatusBadRequest, errnoBadParameters, "unknown cardNo")
	}
	var each func(*gen.CardTransaction)
	switch q.Get("orderBy") {
	case "", "dateTime":
		each = func(t *gen.CardTransaction) { t.DateTimeAccount = 0 }
	case "dateTimeAccount":
	default:
		return fail(http.StatusBadRequest, errnoBadParameters, "orderBy must be dateTime or dateTimeAccount")
	}
	size := s.cfg.pageSize
	if l, err := strconv.Atoi(q.Get("limit")); err == nil && l >= 0 {
		size = l
	}
	unpaged := q.Get("limit") != "" && size == 0
	start, _ := strconv.Atoi(q.Get("start"))
	switch {
	case unpaged && q.Get("beginDate") == "":
		return fail(http.StatusBadRequest, errnoBadParameters, "beginDate is required with limit=0")
	case !unpaged && size > 0 && start%size != 0:
		return fail(http.StatusBadRequest, errnoBadParameters, "start must be a multiple of limit")
	}
	return transactionsPage(s, r, "listMyCardTransactions", p.user.Transactions,
		func(t gen.CardTransaction) int64 { return t.DateTime }, unpaged, each)
}

// listUnicodeTransactions serves the 思源码 payments (beginDate and endDate
// in UNIX seconds, on orderTime), paged by start and limit with total.
func (s *Server) listUnicodeTransactions(r *http.Request, p *principal) reply {
	if p.user == nil {
		return forbiddenWithoutUser
	}
	return transactionsPage(s, r, "listUnicodeTransactions", p.user.UnicodeTransactions,
		func(t gen.UnicodeTransaction) int64 { return t.OrderTime }, false, nil)
}

// listMyCircles serves the user's circles, paged by token: a reply's
// nextToken comes back as pageToken.
func (s *Server) listMyCircles(r *http.Request, p *principal) reply {
	if p.user == nil {
		return forbiddenWithoutUser
	}
	rep := pageOf(operationByID("listMyCircles").paging, r.URL.Query(), p.user.Circles, s.cfg.pageSize)
	if pg, isPage := rep.body.(*page[gen.Circle]); isPage {
		pg.Error = "Succeed." // as the documentation's example
	}
	return rep
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
