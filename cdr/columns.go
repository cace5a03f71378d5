package cdr

// colKind identifies a call-list column. One table serves the CSV reader,
// the CSV writer and the database reader, so that they cannot disagree on
// names, spellings or which columns are required.
type colKind uint8

const (
	colIgnore colKind = iota
	colID
	colCallID
	colCallStepID
	colCallLegUUID
	colChannelName
	colCDRAccountID
	colCallerAccountID
	colCalledAccountID
	colCallerCallerID
	colCalledCallerID
	colServiceID
	colStartTime
	colRingingTime
	colLinkTime
	colCallResultTime
	colCallResult
	colCallResultCausedBy
	colLineID
	colLineName
	colCallbackNumber
	colCallbackNumberExtern
	colAnsweredElsewhere
	colIncoming
	colAnswered
	colHasVoicemail
	colHasMonitor
	colHasFax
	colDeleted
	colPrivateCall
	colSummaryStep
	colDuration
	colLogin
	colStartTimeFormatted
	numColKinds
)

// columnsByName maps lower-case column names to columns. Both spellings of
// answeredelsewhere occur: the export misspells it, the database does not.
var columnsByName = map[string]colKind{
	"id":                   colID,
	"callid":               colCallID,
	"callstepid":           colCallStepID,
	"callleguuid":          colCallLegUUID,
	"channelname":          colChannelName,
	"cdraccountid":         colCDRAccountID,
	"calleraccountid":      colCallerAccountID,
	"calledaccountid":      colCalledAccountID,
	"callercallerid":       colCallerCallerID,
	"calledcallerid":       colCalledCallerID,
	"serviceid":            colServiceID,
	"starttime":            colStartTime,
	"ringingtime":          colRingingTime,
	"linktime":             colLinkTime,
	"callresulttime":       colCallResultTime,
	"callresult":           colCallResult,
	"callresultcausedby":   colCallResultCausedBy,
	"lineid":               colLineID,
	"linename":             colLineName,
	"callbacknumber":       colCallbackNumber,
	"callbacknumberextern": colCallbackNumberExtern,
	"answeredelswhere":     colAnsweredElsewhere,
	"answeredelsewhere":    colAnsweredElsewhere,
	"incoming":             colIncoming,
	"answered":             colAnswered,
	"hasvoicemail":         colHasVoicemail,
	"hasmonitor":           colHasMonitor,
	"hasfax":               colHasFax,
	"deleted":              colDeleted,
	"privatecall":          colPrivateCall,
	"summarystep":          colSummaryStep,
	"duration":             colDuration,
	"login":                colLogin,
	"starttimeformatted":   colStartTimeFormatted,
}

// requiredColumns are the columns without which a row cannot be
// interpreted at all, in the order MissingColumnError lists them: the
// ones ReadDB requires too. callresulttime is not among them: an empty
// end is repaired by callflow (docs/interpretation.md, rule X1).
var requiredColumns = [...]string{"id", "callid", "cdraccountid", "calleraccountid", "calledaccountid", "starttime"}
