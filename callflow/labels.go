package callflow

import (
	"fmt"
	"strings"
	"time"
)

// Language is a language reports are labelled in. The zero value is
// English. Its text form is the language code: "en", "de" or "fr".
//
// Labels are read from one fixed table per language; a value the table does
// not know (an enum value added later, a corrupt one) gets its English
// String() form, never an empty string.
type Language uint8

// The languages the product ships its reports in.
const (
	English Language = iota
	German
	French
)

var languageCodes = []string{"en", "de", "fr"}

// Languages returns every supported language, English first.
func Languages() []Language { return []Language{English, German, French} }

// ParseLanguage parses a language code, case-insensitively: "en", "de",
// "fr", or a locale of one of them such as "de-DE", "fr_FR" or "en-GB".
func ParseLanguage(s string) (Language, error) {
	base, region, hasRegion := strings.Cut(strings.ReplaceAll(s, "_", "-"), "-")
	if !hasRegion || validRegion(region) {
		for i, c := range languageCodes {
			if strings.EqualFold(base, c) {
				return Language(i), nil
			}
		}
	}
	return English, fmt.Errorf("callflow: unknown language %q: want en, de or fr (a locale such as de-DE is fine)", s)
}

// validRegion accepts the rest of a locale after the language: non-empty
// ASCII letters and digits, parts separated by single hyphens ("DE",
// "419", "CH-1996").
func validRegion(s string) bool {
	for p := range strings.SplitSeq(s, "-") {
		if p == "" {
			return false
		}
		for _, c := range []byte(p) {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
				return false
			}
		}
	}
	return true
}

// String returns the language code ("en", "de", "fr").
func (l Language) String() string { return name(languageCodes, int(l), "Language") }

// MarshalText implements encoding.TextMarshaler.
func (l Language) MarshalText() ([]byte, error) {
	if int(l) >= len(languageCodes) {
		return nil, fmt.Errorf("callflow: invalid language %d", l)
	}
	return []byte(l.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler; it accepts what
// ParseLanguage accepts.
func (l *Language) UnmarshalText(b []byte) error {
	v, err := ParseLanguage(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// Name returns the language's own name ("English", "Deutsch", "Français"),
// for a language menu.
func (l Language) Name() string { return l.labels().name }

// Outcome returns the label of how a journey ended.
func (l Language) Outcome(o Outcome) string {
	return lookup(l.labels().outcome, int(o), o.String())
}

// Disposition returns the label of how a visit to a group or iQueue ended.
func (l Language) Disposition(d Disposition) string {
	return lookup(l.labels().disposition, int(d), d.String())
}

// Event returns the label of something that happened during a journey.
func (l Language) Event(k EventKind) string {
	return lookup(l.labels().event, int(k), k.String())
}

// Direction returns the label of a call's direction.
func (l Language) Direction(d Direction) string {
	return lookup(l.labels().direction, int(d), d.String())
}

// Range returns the label of a leg's range (internal or external).
func (l Language) Range(r Range) string {
	return lookup(l.labels().rng, int(r), r.String())
}

// Result returns the label of a leg's result (answered or missed).
func (l Language) Result(r Result) string {
	return lookup(l.labels().result, int(r), r.String())
}

// Interval returns the label of a reporting interval.
func (l Language) Interval(iv Interval) string {
	return lookup(l.labels().interval, int(iv), iv.String())
}

// Weekday returns the name of a weekday, for heat maps.
func (l Language) Weekday(d time.Weekday) string {
	return lookup(l.labels().weekday, int(d), d.String())
}

// Flag returns the labels of the set flags joined by ", ", Flag(0) the
// language's word for none. Bits without a name are shown as String shows
// them ("0x100").
func (l Language) Flag(f Flag) string {
	t := l.labels()
	if f == 0 {
		return t.noFlag
	}
	var parts []string
	for i := range flagNames {
		if b := Flag(1) << i; f&b != 0 {
			parts = append(parts, lookup(t.flag, i, b.String()))
		}
	}
	if rest := f &^ (1<<len(flagNames) - 1); rest != 0 {
		parts = append(parts, rest.String())
	}
	return strings.Join(parts, ", ")
}

// KPI returns the name of a KPI.
func (l Language) KPI(k KPI) string {
	if s := l.labels().kpi[k]; s != "" {
		return s
	}
	return k.String()
}

// lookup returns tab[i], or def when tab has no label for i.
func lookup(tab []string, i int, def string) string {
	if i >= 0 && i < len(tab) && tab[i] != "" {
		return tab[i]
	}
	return def
}

// KPI names a figure the reports compute, for column headers and legends.
// Its text form is its camelCase name, the way JSON results spell it.
type KPI string

// The KPIs of the reports (DOMAIN.md §3.4 and §3.5).
const (
	// Group and iQueue KPIs.
	KPIOffered            KPI = "offered"
	KPIAnswered           KPI = "answered"
	KPIMissed             KPI = "missed"
	KPIAbandoned          KPI = "abandoned"
	KPIShortAbandons      KPI = "shortAbandons"
	KPILostCalls          KPI = "lostCalls"
	KPILostInAnnouncement KPI = "lostInAnnouncement"
	KPILostWhileRinging   KPI = "lostWhileRinging"
	KPIForwardedOnTimeout KPI = "forwardedOnTimeout"
	KPIForwardedOnBusy    KPI = "forwardedOnBusy"
	KPIForwardedAlways    KPI = "forwardedAlways"
	KPIForwardedAway      KPI = "forwardedAway"
	KPIVoicemail          KPI = "voicemail"
	KPITimedOut           KPI = "timedOut"
	KPINoAgent            KPI = "noAgent"
	KPIBusy               KPI = "busy"
	KPIHandledByModule    KPI = "handledByModule"
	KPIOutOfHours         KPI = "outOfHours"
	KPIAnswerRate         KPI = "answerRate"
	KPIServiceLevel       KPI = "serviceLevel"
	KPIAbandonRate        KPI = "abandonRate"
	KPIASA                KPI = "asa"
	KPIAverageAbandonTime KPI = "averageAbandonTime"
	KPIAverageTimeInQueue KPI = "averageTimeInQueue"
	KPIAnnouncementTime   KPI = "announcementTime"
	KPIWaitTime           KPI = "waitTime"
	KPIRingTime           KPI = "ringTime"
	KPITalkTime           KPI = "talkTime"
	KPIAnnouncementShare  KPI = "announcementShare"
	KPIRingShare          KPI = "ringShare"
	KPISlowestGroup       KPI = "slowestGroup"
	KPIFastestGroup       KPI = "fastestGroup"
	KPIOutOfHoursShare    KPI = "outOfHoursShare"
	KPIInternalCalls      KPI = "internalCalls"
	KPIExternalCalls      KPI = "externalCalls"

	// Agent KPIs.
	KPIReactionTime  KPI = "reactionTime"
	KPICallsHandled  KPI = "callsHandled"
	KPICallsRejected KPI = "callsRejected"

	// External parties.
	KPICalls         KPI = "calls"
	KPIAttempts      KPI = "attempts"
	KPIEverAnswered  KPI = "everAnswered"
	KPITotalRingTime KPI = "totalRingTime"
	KPITotalTalkTime KPI = "totalTalkTime"
	KPILastContact   KPI = "lastContact"
	KPIExcessiveTalk KPI = "excessiveTalk"

	// Report pages.
	KPIHeatMap        KPI = "heatMap"
	KPIGroupAgentFlow KPI = "groupAgentFlow"
	KPIBestBuddies    KPI = "bestBuddies"

	// Lost callers (DOMAIN.md §3.5).
	KPILostCallers         KPI = "lostCallers"
	KPIRecoveredByCallback KPI = "recoveredByCallback"
	KPIRecoveredByCaller   KPI = "recoveredByCaller"
	KPILost                KPI = "lost"
	KPIPending             KPI = "pending"
	KPIUnrecoverable       KPI = "unrecoverable"
	KPICallbackLatency     KPI = "callbackLatency"

	// Repeat calls.
	KPIRepeatCalls         KPI = "repeatCalls"
	KPIFirstCallResolution KPI = "firstCallResolution"
	KPIProvisional         KPI = "provisional"

	// Today's figures for the live view.
	KPIMissedToday        KPI = "missedToday"
	KPIAverageTalkToday   KPI = "averageTalkToday"
	KPIAverageRingToday   KPI = "averageRingToday"
	KPIAgentActivityToday KPI = "agentActivityToday"
	KPIAnsweredToday      KPI = "answeredToday"
)

// KPIs returns every KPI constant, in the order they are declared.
func KPIs() []KPI {
	return []KPI{
		KPIOffered, KPIAnswered, KPIMissed, KPIAbandoned, KPIShortAbandons, KPILostCalls,
		KPILostInAnnouncement, KPILostWhileRinging, KPIForwardedOnTimeout, KPIForwardedOnBusy,
		KPIForwardedAlways, KPIForwardedAway, KPIVoicemail, KPITimedOut, KPINoAgent, KPIBusy,
		KPIHandledByModule, KPIOutOfHours, KPIAnswerRate, KPIServiceLevel, KPIAbandonRate, KPIASA,
		KPIAverageAbandonTime, KPIAverageTimeInQueue, KPIAnnouncementTime, KPIWaitTime, KPIRingTime,
		KPITalkTime, KPIAnnouncementShare, KPIRingShare, KPISlowestGroup, KPIFastestGroup,
		KPIOutOfHoursShare, KPIInternalCalls, KPIExternalCalls,
		KPIReactionTime, KPICallsHandled, KPICallsRejected,
		KPICalls, KPIAttempts, KPIEverAnswered, KPITotalRingTime, KPITotalTalkTime, KPILastContact,
		KPIExcessiveTalk,
		KPIHeatMap, KPIGroupAgentFlow, KPIBestBuddies,
		KPILostCallers, KPIRecoveredByCallback, KPIRecoveredByCaller, KPILost, KPIPending,
		KPIUnrecoverable, KPICallbackLatency,
		KPIRepeatCalls, KPIFirstCallResolution, KPIProvisional,
		KPIMissedToday, KPIAverageTalkToday, KPIAverageRingToday, KPIAgentActivityToday, KPIAnsweredToday,
	}
}

// ParseKPI returns the KPI of a text form such as "serviceLevel".
func ParseKPI(s string) (KPI, error) {
	if _, ok := englishLabels.kpi[KPI(s)]; ok {
		return KPI(s), nil
	}
	return "", fmt.Errorf("callflow: unknown KPI %q", s)
}

// String returns the KPI's text form, or `KPI("")` for the empty one.
func (k KPI) String() string {
	if k == "" {
		return `KPI("")`
	}
	return string(k)
}

// labelTable holds a language's labels, indexed by the enum values; an
// empty entry means no label (the caller falls back to String()).
type labelTable struct {
	name        string
	outcome     []string
	disposition []string
	event       []string
	direction   []string
	rng         []string
	result      []string
	interval    []string
	weekday     []string
	flag        []string // by bit number
	noFlag      string
	kpi         map[KPI]string
}

func (l Language) labels() *labelTable {
	switch l {
	case German:
		return &germanLabels
	case French:
		return &frenchLabels
	}
	return &englishLabels
}

// The tables are never written after initialisation; unexported, they are
// no package state a caller could change.
var (
	englishLabels = labelTable{
		name: "English",
		outcome: []string{
			OutcomeUnknown:            "Unknown",
			OutcomeAnswered:           "Answered",
			OutcomeVoicemail:          "Voicemail",
			OutcomeLostInAnnouncement: "Lost during announcement",
			OutcomeLostWhileRinging:   "Lost while ringing",
			OutcomeBusy:               "Busy",
			OutcomeNoAgent:            "No agent available",
			OutcomeRejected:           "Rejected",
			OutcomeForwardedAway:      "Forwarded to an external number",
			OutcomeNotAnswered:        "Not answered",
			OutcomeHandledByModule:    "Handled by a module",
			OutcomeTimedOut:           "Timed out",
		},
		disposition: []string{
			DispositionUnknown:            "Unknown",
			DispositionAnswered:           "Answered",
			DispositionLostInAnnouncement: "Lost during announcement",
			DispositionLostWhileRinging:   "Lost while ringing",
			DispositionForwardedOnTimeout: "Forwarded on timeout",
			DispositionForwardedOnBusy:    "Forwarded on busy",
			DispositionForwardedAlways:    "Always forwarded",
			DispositionVoicemail:          "Voicemail",
			DispositionTimedOut:           "Timed out",
			DispositionNoAgent:            "No agent available",
			DispositionBusy:               "Busy",
			DispositionRejected:           "Rejected",
			DispositionHandledByModule:    "Handled by a module",
		},
		event: []string{
			EventForwardedOnTimeout:  "Forwarded on timeout",
			EventForwardedOnBusy:     "Forwarded on busy",
			EventForwardedAlways:     "Always forwarded",
			EventPickedUp:            "Picked up",
			EventTransferred:         "Blind transfer",
			EventTransferredAttended: "Attended transfer",
			EventHandledByModule:     "Handled by a module",
			EventParked:              "Parked",
			EventVoicemail:           "Voicemail",
			EventRejected:            "Rejected",
			EventForwardedExternal:   "Forwarded to an external number",
		},
		direction: []string{Inbound: "Inbound", Outbound: "Outbound", Internal: "Internal"},
		rng:       []string{RangeExternal: "External", RangeInternal: "Internal"},
		result:    []string{ResultAnswered: "Answered", ResultMissed: "Missed"},
		interval: []string{
			IntervalAll: "Whole range", IntervalHour: "Hour", IntervalDay: "Day",
			IntervalWeek: "Week", IntervalMonth: "Month",
		},
		weekday: []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		flag: []string{
			"Times repaired", "End time missing", "Account not in directory", "Duplicate entry",
			"No call ID", "Incomplete", "Reopened", "Late rows",
		},
		noFlag: "None",
		kpi: map[KPI]string{
			KPIOffered:             "Offered",
			KPIAnswered:            "Answered",
			KPIMissed:              "Missed",
			KPIAbandoned:           "Abandoned",
			KPIShortAbandons:       "Short abandons",
			KPILostCalls:           "Lost calls",
			KPILostInAnnouncement:  "Lost during announcement",
			KPILostWhileRinging:    "Lost while ringing",
			KPIForwardedOnTimeout:  "Forwarded on timeout",
			KPIForwardedOnBusy:     "Forwarded on busy",
			KPIForwardedAlways:     "Always forwarded",
			KPIForwardedAway:       "Forwarded to external numbers",
			KPIVoicemail:           "Voicemail",
			KPITimedOut:            "Timed out",
			KPINoAgent:             "No agent available",
			KPIBusy:                "Busy",
			KPIHandledByModule:     "Handled by a module",
			KPIOutOfHours:          "Out of hours",
			KPIAnswerRate:          "Answer rate",
			KPIServiceLevel:        "Service level",
			KPIAbandonRate:         "Abandon rate",
			KPIASA:                 "Average speed of answer (ASA)",
			KPIAverageAbandonTime:  "Average abandon time",
			KPIAverageTimeInQueue:  "Average time in queue",
			KPIAnnouncementTime:    "Announcement time",
			KPIWaitTime:            "Wait time",
			KPIRingTime:            "Ring time",
			KPITalkTime:            "Talk time",
			KPIAnnouncementShare:   "Announcement share of the wait",
			KPIRingShare:           "Ring share of the wait",
			KPISlowestGroup:        "Slowest group",
			KPIFastestGroup:        "Fastest group",
			KPIReactionTime:        "Reaction time",
			KPICallsHandled:        "Calls handled",
			KPICallsRejected:       "Calls rejected",
			KPICalls:               "Calls",
			KPIAttempts:            "Attempts",
			KPIEverAnswered:        "Ever answered",
			KPITotalRingTime:       "Total ring time",
			KPITotalTalkTime:       "Total talk time",
			KPILastContact:         "Last contact",
			KPIExcessiveTalk:       "Excessive talk volume",
			KPIHeatMap:             "Heat map",
			KPIGroupAgentFlow:      "Groups and agents",
			KPIBestBuddies:         "Best buddies",
			KPILostCallers:         "Lost callers",
			KPIRecoveredByCallback: "Recovered by callback",
			KPIRecoveredByCaller:   "Recovered by caller",
			KPILost:                "Lost",
			KPIPending:             "Pending",
			KPIUnrecoverable:       "Unrecoverable (number withheld)",
			KPICallbackLatency:     "Callback latency",
			KPIRepeatCalls:         "Repeat calls",
			KPIFirstCallResolution: "First-call resolution",
			KPIProvisional:         "Provisional",
			KPIMissedToday:         "Missed calls today",
			KPIAverageTalkToday:    "Average talk time today",
			KPIAverageRingToday:    "Average ring time today",
			KPIAgentActivityToday:  "Agent activity today",
			KPIAnsweredToday:       "Answered calls today",
			KPIOutOfHoursShare:     "Out-of-hours share",
			KPIInternalCalls:       "Internal calls",
			KPIExternalCalls:       "External calls",
		},
	}

	// German follows the STARFACE UI and Fluxpunkt Insight Analytics:
	// Ansagendauer, Klingeldauer, Annahme-Quote, Servicelevel, Zeit-,
	// Besetzt- and Immer-Weiterleitung, Mailbox.
	germanLabels = labelTable{
		name: "Deutsch",
		outcome: []string{
			OutcomeUnknown:            "Unbekannt",
			OutcomeAnswered:           "Angenommen",
			OutcomeVoicemail:          "Mailbox",
			OutcomeLostInAnnouncement: "Aufgelegt während der Ansage",
			OutcomeLostWhileRinging:   "Aufgelegt während der Klingelphase",
			OutcomeBusy:               "Besetzt",
			OutcomeNoAgent:            "Kein Agent verfügbar",
			OutcomeRejected:           "Abgewiesen",
			OutcomeForwardedAway:      "Nach extern weitergeleitet",
			OutcomeNotAnswered:        "Nicht angenommen",
			OutcomeHandledByModule:    "Von Modul bearbeitet",
			OutcomeTimedOut:           "Zeitüberschreitung",
		},
		disposition: []string{
			DispositionUnknown:            "Unbekannt",
			DispositionAnswered:           "Angenommen",
			DispositionLostInAnnouncement: "Aufgelegt während der Ansage",
			DispositionLostWhileRinging:   "Aufgelegt während der Klingelphase",
			DispositionForwardedOnTimeout: "Weiterleitung bei Zeitüberschreitung",
			DispositionForwardedOnBusy:    "Weiterleitung bei Besetzt",
			DispositionForwardedAlways:    "Immer-Weiterleitung",
			DispositionVoicemail:          "Mailbox",
			DispositionTimedOut:           "Zeitüberschreitung",
			DispositionNoAgent:            "Kein Agent verfügbar",
			DispositionBusy:               "Besetzt",
			DispositionRejected:           "Abgewiesen",
			DispositionHandledByModule:    "Von Modul bearbeitet",
		},
		event: []string{
			EventForwardedOnTimeout:  "Weiterleitung bei Zeitüberschreitung",
			EventForwardedOnBusy:     "Weiterleitung bei Besetzt",
			EventForwardedAlways:     "Immer-Weiterleitung",
			EventPickedUp:            "Herangeholt",
			EventTransferred:         "Verbunden ohne Rückfrage",
			EventTransferredAttended: "Verbunden mit Rückfrage",
			EventHandledByModule:     "Von Modul bearbeitet",
			EventParked:              "Geparkt",
			EventVoicemail:           "Mailbox",
			EventRejected:            "Abgewiesen",
			EventForwardedExternal:   "Nach extern weitergeleitet",
		},
		direction: []string{Inbound: "Eingehend", Outbound: "Ausgehend", Internal: "Intern"},
		rng:       []string{RangeExternal: "Extern", RangeInternal: "Intern"},
		result:    []string{ResultAnswered: "Angenommen", ResultMissed: "Verpasst"},
		interval: []string{
			IntervalAll: "Gesamter Zeitraum", IntervalHour: "Stunde", IntervalDay: "Tag",
			IntervalWeek: "Woche", IntervalMonth: "Monat",
		},
		weekday: []string{"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"},
		flag: []string{
			"Zeiten korrigiert", "Endzeit fehlt", "Account nicht im Verzeichnis", "Doppelter Eintrag",
			"Keine Anruf-ID", "Unvollständig", "Wieder geöffnet", "Verspätete Einträge",
		},
		noFlag: "Keine",
		kpi: map[KPI]string{
			KPIOffered:             "Angebotene Anrufe",
			KPIAnswered:            "Angenommen",
			KPIMissed:              "Verpasst",
			KPIAbandoned:           "Aufgelegt",
			KPIShortAbandons:       "Kurz aufgelegt",
			KPILostCalls:           "Verlorene Anrufe",
			KPILostInAnnouncement:  "Verloren während der Ansage",
			KPILostWhileRinging:    "Verloren während der Klingelphase",
			KPIForwardedOnTimeout:  "Weiterleitung bei Zeitüberschreitung",
			KPIForwardedOnBusy:     "Weiterleitung bei Besetzt",
			KPIForwardedAlways:     "Immer-Weiterleitung",
			KPIForwardedAway:       "Nach extern weitergeleitet",
			KPIVoicemail:           "Mailbox",
			KPITimedOut:            "Zeitüberschreitung",
			KPINoAgent:             "Kein Agent verfügbar",
			KPIBusy:                "Besetzt",
			KPIHandledByModule:     "Von Modul bearbeitet",
			KPIOutOfHours:          "Außerhalb der Geschäftszeiten",
			KPIAnswerRate:          "Annahme-Quote",
			KPIServiceLevel:        "Servicelevel",
			KPIAbandonRate:         "Abbruchquote",
			KPIASA:                 "Durchschnittliche Wartezeit bis zur Annahme (ASA)",
			KPIAverageAbandonTime:  "Durchschnittliche Wartezeit bis zum Auflegen",
			KPIAverageTimeInQueue:  "Durchschnittliche Wartedauer",
			KPIAnnouncementTime:    "Ansagendauer",
			KPIWaitTime:            "Wartedauer",
			KPIRingTime:            "Klingeldauer",
			KPITalkTime:            "Gesprächsdauer",
			KPIAnnouncementShare:   "Anteil der Ansage an der Wartedauer",
			KPIRingShare:           "Anteil der Klingeldauer an der Wartedauer",
			KPISlowestGroup:        "Langsamste Gruppe/iQueue",
			KPIFastestGroup:        "Schnellste Gruppe/iQueue",
			KPIReactionTime:        "Reaktionszeit",
			KPICallsHandled:        "Bearbeitete Anrufe",
			KPICallsRejected:       "Abgewiesene Anrufe",
			KPICalls:               "Anrufe",
			KPIAttempts:            "Anrufversuche",
			KPIEverAnswered:        "Jemals angenommen",
			KPITotalRingTime:       "Gesamte Klingeldauer",
			KPITotalTalkTime:       "Gesamte Gesprächsdauer",
			KPILastContact:         "Letzter Kontakt",
			KPIExcessiveTalk:       "Übermäßiger Gesprächsaufwand",
			KPIHeatMap:             "Heatmap",
			KPIGroupAgentFlow:      "Gruppen und Agenten",
			KPIBestBuddies:         "Best Buddies",
			KPILostCallers:         "Verlorene Anrufer",
			KPIRecoveredByCallback: "Durch Rückruf erreicht",
			KPIRecoveredByCaller:   "Anrufer kam später durch",
			KPILost:                "Verloren",
			KPIPending:             "Offen",
			KPIUnrecoverable:       "Nicht zurückrufbar (Rufnummer unterdrückt)",
			KPICallbackLatency:     "Zeit bis zum Rückruf",
			KPIRepeatCalls:         "Wiederholungsanrufe",
			KPIFirstCallResolution: "Erstlösungsquote",
			KPIProvisional:         "Vorläufig",
			KPIMissedToday:         "Verpasste Anrufe (Heute)",
			KPIAverageTalkToday:    "Durchschnittliche Gesprächsdauer (Heute)",
			KPIAverageRingToday:    "Durchschnittliche Klingeldauer (Heute)",
			KPIAgentActivityToday:  "Aktivität von Agenten (Heute)",
			KPIAnsweredToday:       "Angenommene Anrufe (Heute)",
			KPIOutOfHoursShare:     "Anteil außerhalb der Geschäftszeiten",
			KPIInternalCalls:       "Interne Anrufe",
			KPIExternalCalls:       "Externe Anrufe",
		},
	}

	// French uses the usual call-centre words: appels présentés, taux de
	// réponse, niveau de service, délai moyen de réponse, renvoi sur
	// non-réponse / sur occupation / immédiat, messagerie vocale.
	frenchLabels = labelTable{
		name: "Français",
		outcome: []string{
			OutcomeUnknown:            "Inconnu",
			OutcomeAnswered:           "Répondu",
			OutcomeVoicemail:          "Messagerie vocale",
			OutcomeLostInAnnouncement: "Raccroché pendant l'annonce",
			OutcomeLostWhileRinging:   "Raccroché pendant la sonnerie",
			OutcomeBusy:               "Occupé",
			OutcomeNoAgent:            "Aucun agent disponible",
			OutcomeRejected:           "Rejeté",
			OutcomeForwardedAway:      "Renvoyé vers l'extérieur",
			OutcomeNotAnswered:        "Sans réponse",
			OutcomeHandledByModule:    "Traité par un module",
			OutcomeTimedOut:           "Délai d'attente dépassé",
		},
		disposition: []string{
			DispositionUnknown:            "Inconnu",
			DispositionAnswered:           "Répondu",
			DispositionLostInAnnouncement: "Raccroché pendant l'annonce",
			DispositionLostWhileRinging:   "Raccroché pendant la sonnerie",
			DispositionForwardedOnTimeout: "Renvoi sur non-réponse",
			DispositionForwardedOnBusy:    "Renvoi sur occupation",
			DispositionForwardedAlways:    "Renvoi immédiat",
			DispositionVoicemail:          "Messagerie vocale",
			DispositionTimedOut:           "Délai d'attente dépassé",
			DispositionNoAgent:            "Aucun agent disponible",
			DispositionBusy:               "Occupé",
			DispositionRejected:           "Rejeté",
			DispositionHandledByModule:    "Traité par un module",
		},
		event: []string{
			EventForwardedOnTimeout:  "Renvoi sur non-réponse",
			EventForwardedOnBusy:     "Renvoi sur occupation",
			EventForwardedAlways:     "Renvoi immédiat",
			EventPickedUp:            "Intercepté",
			EventTransferred:         "Transfert aveugle",
			EventTransferredAttended: "Transfert supervisé",
			EventHandledByModule:     "Traité par un module",
			EventParked:              "Parqué",
			EventVoicemail:           "Messagerie vocale",
			EventRejected:            "Rejeté",
			EventForwardedExternal:   "Renvoyé vers l'extérieur",
		},
		direction: []string{Inbound: "Entrant", Outbound: "Sortant", Internal: "Interne"},
		rng:       []string{RangeExternal: "Externe", RangeInternal: "Interne"},
		result:    []string{ResultAnswered: "Répondu", ResultMissed: "Manqué"},
		interval: []string{
			IntervalAll: "Période entière", IntervalHour: "Heure", IntervalDay: "Jour",
			IntervalWeek: "Semaine", IntervalMonth: "Mois",
		},
		weekday: []string{"Dimanche", "Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi"},
		flag: []string{
			"Horodatages corrigés", "Heure de fin manquante", "Compte absent de l'annuaire", "Entrée en double",
			"Sans identifiant d'appel", "Incomplet", "Rouvert", "Entrées tardives",
		},
		noFlag: "Aucune",
		kpi: map[KPI]string{
			KPIOffered:             "Appels présentés",
			KPIAnswered:            "Appels répondus",
			KPIMissed:              "Appels manqués",
			KPIAbandoned:           "Appels abandonnés",
			KPIShortAbandons:       "Abandons courts",
			KPILostCalls:           "Appels perdus",
			KPILostInAnnouncement:  "Perdus pendant l'annonce",
			KPILostWhileRinging:    "Perdus pendant la sonnerie",
			KPIForwardedOnTimeout:  "Renvoi sur non-réponse",
			KPIForwardedOnBusy:     "Renvoi sur occupation",
			KPIForwardedAlways:     "Renvoi immédiat",
			KPIForwardedAway:       "Renvoyés vers l'extérieur",
			KPIVoicemail:           "Messagerie vocale",
			KPITimedOut:            "Délai d'attente dépassé",
			KPINoAgent:             "Aucun agent disponible",
			KPIBusy:                "Occupé",
			KPIHandledByModule:     "Traités par un module",
			KPIOutOfHours:          "Hors horaires d'ouverture",
			KPIAnswerRate:          "Taux de réponse",
			KPIServiceLevel:        "Niveau de service",
			KPIAbandonRate:         "Taux d'abandon",
			KPIASA:                 "Délai moyen de réponse (ASA)",
			KPIAverageAbandonTime:  "Temps moyen avant abandon",
			KPIAverageTimeInQueue:  "Temps moyen en file d'attente",
			KPIAnnouncementTime:    "Durée de l'annonce",
			KPIWaitTime:            "Temps d'attente",
			KPIRingTime:            "Durée de sonnerie",
			KPITalkTime:            "Durée de conversation",
			KPIAnnouncementShare:   "Part de l'annonce dans l'attente",
			KPIRingShare:           "Part de la sonnerie dans l'attente",
			KPISlowestGroup:        "Groupe le plus lent",
			KPIFastestGroup:        "Groupe le plus rapide",
			KPIReactionTime:        "Temps de réaction",
			KPICallsHandled:        "Appels traités",
			KPICallsRejected:       "Appels rejetés",
			KPICalls:               "Appels",
			KPIAttempts:            "Tentatives",
			KPIEverAnswered:        "Déjà pris en charge",
			KPITotalRingTime:       "Durée totale de sonnerie",
			KPITotalTalkTime:       "Durée totale de conversation",
			KPILastContact:         "Dernier contact",
			KPIExcessiveTalk:       "Volume de conversation excessif",
			KPIHeatMap:             "Carte de chaleur",
			KPIGroupAgentFlow:      "Groupes et agents",
			KPIBestBuddies:         "Interlocuteurs privilégiés",
			KPILostCallers:         "Appelants perdus",
			KPIRecoveredByCallback: "Récupéré par rappel",
			KPIRecoveredByCaller:   "Récupéré par un nouvel appel",
			KPILost:                "Perdu",
			KPIPending:             "En attente",
			KPIUnrecoverable:       "Irrécupérable (numéro masqué)",
			KPICallbackLatency:     "Délai de rappel",
			KPIRepeatCalls:         "Appels répétés",
			KPIFirstCallResolution: "Résolution au premier appel",
			KPIProvisional:         "Provisoire",
			KPIMissedToday:         "Appels manqués aujourd'hui",
			KPIAverageTalkToday:    "Durée moyenne de conversation aujourd'hui",
			KPIAverageRingToday:    "Durée moyenne de sonnerie aujourd'hui",
			KPIAgentActivityToday:  "Activité des agents aujourd'hui",
			KPIAnsweredToday:       "Appels répondus aujourd'hui",
			KPIOutOfHoursShare:     "Part hors horaires d'ouverture",
			KPIInternalCalls:       "Appels internes",
			KPIExternalCalls:       "Appels externes",
		},
	}
)
