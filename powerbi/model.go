package powerbi

import (
	"strconv"
	"strings"
	"time"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/cdr"
	"github.com/starinsight/starinsight/live"
)

// The tables of the two datasets. CDR_Summary, Group_Call_Account and
// User_Call_Account keep the names and columns of the Power BI model of
// the product this SDK is modelled on, and those of package sqlsink, so
// one report can point at either. Durations are whole milliseconds; times
// are UTC.
const (
	TableLegs             = "CDR_Summary"
	TableAccounts         = "accounts"
	TableGroupCallAccount = "Group_Call_Account"
	TableUserCallAccount  = "User_Call_Account"
	TableConstants        = "constants"
	TableLiveUsers        = "live_users"
	TableLiveQueues       = "live_queues"
)

// LegRow is a row of CDR_Summary: one leg (DOMAIN.md §3.1).
type LegRow struct {
	Site              string    `powerbi:"site"`
	CallID            string    `powerbi:"call_id"`
	LegSeq            int64     `powerbi:"leg_seq"`
	AccountID         int64     `powerbi:"account_id"`
	AccountType       string    `powerbi:"account_type"`
	GroupAccountID    int64     `powerbi:"group_account_id"`
	OwnerAccountID    int64     `powerbi:"owner_account_id"`
	CallOriginType    string    `powerbi:"call_origin_type"`
	Incoming          bool      `powerbi:"incoming"`
	Answered          bool      `powerbi:"answered"`
	Result            string    `powerbi:"result"`
	CausedByAccountID int64     `powerbi:"caused_by_account_id"`
	StartTime         time.Time `powerbi:"start_time"`
	RingTime          time.Time `powerbi:"ring_time"`
	AnswerTime        time.Time `powerbi:"answer_time"`
	EndTime           time.Time `powerbi:"end_time"`
	AnnouncementMS    int64     `powerbi:"announcement_ms"`
	RingMS            int64     `powerbi:"ring_ms"`
	WaitMS            int64     `powerbi:"wait_ms"`
	TalkMS            int64     `powerbi:"talk_ms"`
	CallMS            int64     `powerbi:"call_ms"`
	AgentRingMS       int64     `powerbi:"agent_ring_ms"`
	CalledAccountID   int64     `powerbi:"called_account_id"`
	CalledCallerID    string    `powerbi:"called_caller_id"`
	CalledName        string    `powerbi:"called_name"`
	CalledNumber      string    `powerbi:"called_number"`
	CallerAccountID   int64     `powerbi:"caller_account_id"`
	CallerCallerID    string    `powerbi:"caller_caller_id"`
	CallerName        string    `powerbi:"caller_name"`
	CallerNumber      string    `powerbi:"caller_number"`
	Fax               bool      `powerbi:"fax"`
	Recorded          bool      `powerbi:"recorded"`
	Voicemail         bool      `powerbi:"voicemail"`
	Private           bool      `powerbi:"private"`
	LineName          string    `powerbi:"line_name"`
	Comment           string    `powerbi:"comment"`
	CommentAuthor     string    `powerbi:"comment_author"`
	CalledBack        bool      `powerbi:"called_back"`
	Flags             string    `powerbi:"flags"`
	EntryIDs          string    `powerbi:"entry_ids"`
}

// NewLegRow returns the row of a leg.
func NewLegRow(l *callflow.Leg) LegRow {
	return LegRow{
		Site: l.Site, CallID: l.CallID, LegSeq: int64(l.Seq),
		AccountID: int64(l.AccountID), AccountType: l.AccountType.String(), GroupAccountID: int64(l.GroupID),
		OwnerAccountID: int64(l.OwnerAccountID), CallOriginType: l.Range.String(),
		Incoming: l.Incoming, Answered: l.Answered, Result: l.Result.String(), CausedByAccountID: int64(l.CausedByAccountID),
		StartTime: l.Arrival, RingTime: l.RingStart, AnswerTime: l.Answer, EndTime: l.End,
		AnnouncementMS: l.Announcement.Milliseconds(), RingMS: l.Ring.Milliseconds(), WaitMS: l.Wait.Milliseconds(),
		TalkMS: l.Talk.Milliseconds(), CallMS: l.Call.Milliseconds(), AgentRingMS: l.AgentRing.Milliseconds(),
		CalledAccountID: int64(l.CalledAccountID), CalledCallerID: l.CalledCallerID.String(), CalledName: l.CalledCallerID.Name,
		CalledNumber: l.CalledNumber.String(), CallerAccountID: int64(l.CallerAccountID), CallerCallerID: l.CallerCallerID.String(),
		CallerName: l.CallerCallerID.Name, CallerNumber: l.CallerNumber.String(),
		Fax: l.Fax, Recorded: l.Recorded, Voicemail: l.Voicemail, Private: l.Private, LineName: l.LineName,
		Comment: l.Comment, CommentAuthor: l.CommentAuthor, CalledBack: l.CalledBack,
		Flags: l.Flags.String(), EntryIDs: int64List(l.EntryIDs),
	}
}

// AccountRow is a row of accounts (DOMAIN.md §3.2).
type AccountRow struct {
	Site           string `powerbi:"site"`
	AccountID      int64  `powerbi:"account_id"`
	AccountType    string `powerbi:"account_type"`
	Name           string `powerbi:"name"`
	Login          string `powerbi:"login"`
	SAMAccountName string `powerbi:"sam_account_name"`
	IQueueSize     int64  `powerbi:"iqueue_size"`
	MaxWaitMS      int64  `powerbi:"max_wait_ms"`
	Placeholder    bool   `powerbi:"placeholder"`
}

// NewAccountRow returns the row of an account.
func NewAccountRow(a *cdr.Account) AccountRow {
	return AccountRow{Site: a.Site, AccountID: int64(a.ID), AccountType: a.Type.String(), Name: a.Name, Login: a.Login,
		SAMAccountName: a.SAMAccountName, IQueueSize: int64(a.IQueueSize), MaxWaitMS: a.MaxWait.Milliseconds(), Placeholder: a.Placeholder}
}

// CallAccountRow is a row of Group_Call_Account (groups and iQueues) or
// User_Call_Account (users): the model's account dimensions.
type CallAccountRow struct {
	Site        string `powerbi:"Site"`
	AccountID   int64  `powerbi:"Account_ID"`
	AccountName string `powerbi:"Account_Name"`
	AccountType string `powerbi:"Account_Type"`
}

// NewCallAccountRow returns the dimension row of an account.
func NewCallAccountRow(a *cdr.Account) CallAccountRow {
	return CallAccountRow{Site: a.Site, AccountID: int64(a.ID), AccountName: a.Name, AccountType: a.Type.String()}
}

// ConstantRow is a row of constants: values reports read (the service
// level threshold, the time zone of the sites, the pseudonym key id), one
// POST when set up.
type ConstantRow struct {
	Site  string `powerbi:"site"`
	Name  string `powerbi:"name"`
	Value string `powerbi:"value"`
}

// LiveUserRow is a row of live_users: a user's state at one moment
// (DOMAIN.md §3.3).
type LiveUserRow struct {
	Site                string    `powerbi:"site"`
	AccountID           int64     `powerbi:"account_id"`
	At                  time.Time `powerbi:"at"`
	Name                string    `powerbi:"name"`
	TelephonyState      string    `powerbi:"telephony_state"`
	LoggedIn            bool      `powerbi:"logged_in"`
	DND                 bool      `powerbi:"dnd"`
	AlwaysForward       bool      `powerbi:"always_forward"`
	ChatPresence        string    `powerbi:"chat_presence"`
	ChatPresenceMessage string    `powerbi:"chat_presence_message"`
	GroupIDs            string    `powerbi:"group_ids"`
	CallID              string    `powerbi:"call_id"`
	CallState           string    `powerbi:"call_state"`
	CallerName          string    `powerbi:"caller_name"`
	CallerNumber        string    `powerbi:"caller_number"`
	CallStart           time.Time `powerbi:"call_start"`
	TalkMS              int64     `powerbi:"talk_ms"`
}

// NewLiveUserRow returns the row of a user's state.
func NewLiveUserRow(u *live.UserState) LiveUserRow {
	ids := make([]int64, len(u.GroupIDs))
	for i, g := range u.GroupIDs {
		ids[i] = int64(g)
	}
	return LiveUserRow{Site: u.Site, AccountID: int64(u.AccountID), At: u.At, Name: u.Name, TelephonyState: string(u.Telephony),
		LoggedIn: u.LoggedIn, DND: u.DND, AlwaysForward: u.AlwaysForward, ChatPresence: u.ChatPresence,
		ChatPresenceMessage: u.ChatPresenceMessage, GroupIDs: int64List(ids), CallID: u.CallID, CallState: string(u.CallState),
		CallerName: u.CallerName, CallerNumber: u.CallerNumber.String(), CallStart: u.CallStart, TalkMS: u.Talk.Milliseconds()}
}

// LiveQueueRow is a row of live_queues: a group's or iQueue's load at one
// moment.
type LiveQueueRow struct {
	Site           string    `powerbi:"site"`
	AccountID      int64     `powerbi:"account_id"`
	At             time.Time `powerbi:"at"`
	AccountType    string    `powerbi:"account_type"`
	Name           string    `powerbi:"name"`
	WaitingCalls   int64     `powerbi:"waiting_calls"`
	ConnectedCalls int64     `powerbi:"connected_calls"`
	IQueueSize     int64     `powerbi:"iqueue_size"`
	MaxWaitMS      int64     `powerbi:"max_wait_ms"`
}

// NewLiveQueueRow returns the row of a queue's state.
func NewLiveQueueRow(q *live.QueueState) LiveQueueRow {
	return LiveQueueRow{Site: q.Site, AccountID: int64(q.AccountID), At: q.At, AccountType: q.Type.String(), Name: q.Name,
		WaitingCalls: int64(q.WaitingCalls), ConnectedCalls: int64(q.ConnectedCalls), IQueueSize: int64(q.IQueueSize), MaxWaitMS: q.MaxWait.Milliseconds()}
}

func int64List(ids []int64) string {
	var b strings.Builder
	for i, a := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(a, 10))
	}
	return b.String()
}

// Historical is the historical dataset: legs, accounts, the two account
// dimensions and constants.
type Historical struct {
	Legs              *Schema[LegRow]
	Accounts          *Schema[AccountRow]
	GroupCallAccounts *Schema[CallAccountRow]
	UserCallAccounts  *Schema[CallAccountRow]
	Constants         *Schema[ConstantRow]
}

// Live is the live dataset: users and groups / iQueues.
type Live struct {
	Users  *Schema[LiveUserRow]
	Queues *Schema[LiveQueueRow]
}

// NewHistorical returns the historical dataset's schemas.
func NewHistorical() (*Historical, error) {
	var h Historical
	var err error
	if h.Legs, err = NewSchema[LegRow](TableLegs); err != nil {
		return nil, err
	}
	if h.Accounts, err = NewSchema[AccountRow](TableAccounts); err != nil {
		return nil, err
	}
	if h.GroupCallAccounts, err = NewSchema[CallAccountRow](TableGroupCallAccount); err != nil {
		return nil, err
	}
	if h.UserCallAccounts, err = NewSchema[CallAccountRow](TableUserCallAccount); err != nil {
		return nil, err
	}
	if h.Constants, err = NewSchema[ConstantRow](TableConstants); err != nil {
		return nil, err
	}
	return &h, nil
}

// Definition returns the dataset's definition under name.
func (h *Historical) Definition(name string) (DatasetDefinition, error) {
	return NewDatasetDefinition(name, h.Legs.Table(), h.Accounts.Table(), h.GroupCallAccounts.Table(), h.UserCallAccounts.Table(), h.Constants.Table())
}

// NewLive returns the live dataset's schemas.
func NewLive() (*Live, error) {
	var l Live
	var err error
	if l.Users, err = NewSchema[LiveUserRow](TableLiveUsers); err != nil {
		return nil, err
	}
	if l.Queues, err = NewSchema[LiveQueueRow](TableLiveQueues); err != nil {
		return nil, err
	}
	return &l, nil
}

// Definition returns the dataset's definition under name.
func (l *Live) Definition(name string) (DatasetDefinition, error) {
	return NewDatasetDefinition(name, l.Users.Table(), l.Queues.Table())
}
