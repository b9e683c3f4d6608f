package api

import (
	"context"
	"errors"
	"iter"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/oauth-jaccount/jaccount-go/gen"
)

// The operations' paths, as in openapi/jaccount.yaml.
const (
	pathProfile          = "/v1/me/profile"
	pathPositions        = "/v1/enterprise/user/positions"
	pathRights           = "/v1/enterprise/user/rights"
	pathLessons          = "/v1/me/lessons"
	pathLesson           = "/v1/lesson/"
	pathExaminations     = "/v1/me/examinations"
	pathCard             = "/v1/me/card"
	pathCardTransactions = "/v1/me/card/transactions"
)

// ProfileService is the profile area (scopes basic, essential, profile,
// privacy).
type ProfileService service

// Get returns the signed-in user's profile (getMyProfile). Which fields are
// filled depends on the scopes granted.
func (s *ProfileService) Get(ctx context.Context) (*gen.Profile, error) {
	return getOne[gen.Profile](ctx, s.c, pathProfile)
}

// EnterpriseService is the enterprise area: positions and rights.
type EnterpriseService service

// Positions returns the signed-in user with the posts they hold and their
// departments (getUserPositions; scope essential).
func (s *EnterpriseService) Positions(ctx context.Context) (*gen.UserPositions, error) {
	return getOne[gen.UserPositions](ctx, s.c, pathPositions)
}

// Rights lists the rights of account (getUserRights).
func (s *EnterpriseService) Rights(ctx context.Context, account string) (*List[gen.UserRight], error) {
	if account == "" {
		return nil, errors.New("jaccount api: Enterprise.Rights: empty account")
	}
	return getList[gen.UserRight](ctx, s.c, pathRights, "account="+url.QueryEscape(account))
}

// LessonsService is the teaching-class area (scope lessons).
type LessonsService service

// List lists the signed-in user's lessons of the current semester
// (listMyLessons).
func (s *LessonsService) List(ctx context.Context) (*List[gen.Lesson], error) {
	return getList[gen.Lesson](ctx, s.c, pathLessons, "")
}

var semesterRe = regexp.MustCompile(`^[0-9]{4}-[0-9]{4}-[1-3]$`)

// ListBySemester lists the signed-in user's lessons of semester, written
// "2024-2025-1" (start year, end year, term 1–3) (listMyLessonsBySemester).
func (s *LessonsService) ListBySemester(ctx context.Context, semester string) (*List[gen.Lesson], error) {
	if !semesterRe.MatchString(semester) {
		return nil, errors.New("jaccount api: Lessons.ListBySemester: semester " + strconv.Quote(semester) + " is not of the form 2024-2025-1")
	}
	return getList[gen.Lesson](ctx, s.c, pathLessons+"/"+semester, "")
}

// Get returns one teaching class by its class code or bsid (getLesson).
func (s *LessonsService) Get(ctx context.Context, code string) (*gen.Lesson, error) {
	if code == "" {
		return nil, errors.New("jaccount api: Lessons.Get: empty code")
	}
	return getOne[gen.Lesson](ctx, s.c, pathLesson+url.PathEscape(code))
}

// ExaminationsService is the examination area (scope exams).
type ExaminationsService service

// List lists the signed-in user's examination arrangements
// (listMyExaminations).
func (s *ExaminationsService) List(ctx context.Context) (*List[gen.Examination], error) {
	return getList[gen.Examination](ctx, s.c, pathExaminations, "")
}

// CardService is the campus-card area (scopes card_info, card_transactions).
type CardService service

// Get returns the signed-in user's campus card (getMyCard).
func (s *CardService) Get(ctx context.Context) (*gen.CardInfo, error) {
	return getOne[gen.CardInfo](ctx, s.c, pathCard)
}

// TransactionsParams selects card transactions. Zero fields are not sent.
type TransactionsParams struct {
	// CardNo is the card number; empty means the user's own card.
	CardNo string
	// Begin is the start of the period (inclusive).
	Begin time.Time
	// End is the end of the period.
	End time.Time
	// NextToken asks for the page after the reply that carried it.
	NextToken string
}

func (p *TransactionsParams) query() string {
	var b strings.Builder
	add := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
	}
	if p.CardNo != "" {
		add("cardNo", p.CardNo)
	}
	if !p.Begin.IsZero() {
		add("beginDate", strconv.FormatInt(p.Begin.UnixMilli(), 10))
	}
	if !p.End.IsZero() {
		add("endDate", strconv.FormatInt(p.End.UnixMilli(), 10))
	}
	if p.NextToken != "" {
		add("nextToken", p.NextToken)
	}
	return b.String()
}

// Transactions returns one page of campus-card transactions
// (listMyCardTransactions); its NextToken, if any, asks for the next page.
func (s *CardService) Transactions(ctx context.Context, p TransactionsParams) (*List[gen.CardTransaction], error) {
	return getList[gen.CardTransaction](ctx, s.c, pathCardTransactions, p.query())
}

// errRepeatedToken stops a walk whose server repeats the page token.
var errRepeatedToken = errors.New("jaccount api: server repeated nextToken; stopping")

// AllTransactions walks every page of Transactions from p on, yielding each
// transaction. It stops at the first error, which it yields, and when ctx is
// done. p is copied; the caller's value is not changed.
func (s *CardService) AllTransactions(ctx context.Context, p TransactionsParams) iter.Seq2[gen.CardTransaction, error] {
	return func(yield func(gen.CardTransaction, error) bool) {
		for {
			if err := ctx.Err(); err != nil {
				yield(gen.CardTransaction{}, err)
				return
			}
			page, err := s.Transactions(ctx, p)
			if err != nil {
				yield(gen.CardTransaction{}, err)
				return
			}
			for _, t := range page.Items {
				if !yield(t, nil) {
					return
				}
			}
			switch page.NextToken {
			case "":
				return
			case p.NextToken:
				yield(gen.CardTransaction{}, errRepeatedToken)
				return
			}
			p.NextToken = page.NextToken
		}
	}
}
