package pseudo

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Field is a personal field of the data model (DOMAIN.md §3, the P marks,
// and §4): a Policy says what happens to each. One Field covers the same
// information wherever it appears: CallerNumber is the caller-id number of
// a raw entry, the caller number of a leg and a journey, the number of a
// lost call, a lost caller, an external party, a best buddy and a repeat
// call, and the caller number of a live user's current call.
type Field uint8

// The personal fields.
const (
	// CallID is the id of a physical call everywhere it appears, including
	// the calls that recovered a lost caller or repeated a call. STARFACE
	// call ids can embed names and numbers.
	CallID Field = iota
	// CallLeg is a raw entry's call leg uuid and channel name: ids that
	// can embed a login or a number; and a call step id that is not a
	// plain step number (a numeric one orders the steps and is kept).
	CallLeg
	// CallerName and CalledName are the name parts of caller-id strings,
	// and the caller name of a live user's call.
	CallerName
	CalledName
	// CallerNumber and CalledNumber are the number parts of caller-id
	// strings and the normalised numbers derived from them. Results about
	// an external party (lost calls and callers, parties, best buddies,
	// repeat calls) follow CallerNumber. Give both the same action, or
	// lost callers and callbacks no longer match.
	CallerNumber
	CalledNumber
	// CallbackNumber is a raw entry's callback number.
	CallbackNumber
	// UserName is the name of a user account (also a live user's name).
	UserName
	// GroupName is the name of a group or iQueue account (also a live
	// queue's name). Names of group accounts are personal too: the product
	// once leaked user names through group-call rows.
	GroupName
	// Login is a login or SAM account name (compared without case), and
	// a raw entry's callresultcausedby when it is not an account id.
	Login
	// Comment is the free text of a call-list comment; CommentAuthor its
	// author. Free text cannot be pseudonymised usefully: the default
	// anonymises it.
	Comment
	CommentAuthor
	// PresenceMessage is a live user's chat presence message (free text,
	// anonymised by default).
	PresenceMessage

	numFields
)

var fieldNames = [numFields]string{"callId", "callLeg", "callerName", "calledName", "callerNumber", "calledNumber", "callbackNumber", "userName", "groupName", "login", "comment", "commentAuthor", "presenceMessage"}

// class is what kind of value a field holds: it picks the pseudonym's form
// and the HMAC domain, so that the same name or number gets the same
// pseudonym in every field of its class.
type class uint8

const (
	classID class = iota
	className
	classNumber
	classLogin
	classText
)

var fieldClasses = [numFields]class{classID, classID, className, className, classNumber, classNumber, classNumber, className, className, classLogin, classText, className, classText}

// Fields returns every personal field, in order.
func Fields() []Field {
	fs := make([]Field, numFields)
	for i := range fs {
		fs[i] = Field(i)
	}
	return fs
}

// String returns the field's name as policies write it ("callerNumber").
func (f Field) String() string {
	if f < numFields {
		return fieldNames[f]
	}
	return "Field(" + strconv.Itoa(int(f)) + ")"
}

// ParseField parses a field name as String writes it.
func ParseField(s string) (Field, error) {
	for i, n := range fieldNames {
		if n == s {
			return Field(i), nil
		}
	}
	return 0, fmt.Errorf("pseudo: unknown field %q (fields: %s)", s, strings.Join(fieldNames[:], ", "))
}

// MarshalText implements encoding.TextMarshaler.
func (f Field) MarshalText() ([]byte, error) {
	if f >= numFields {
		return nil, fmt.Errorf("pseudo: invalid field %d", f)
	}
	return []byte(f.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (f *Field) UnmarshalText(b []byte) error {
	v, err := ParseField(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// Action is what a Policy does to a field.
type Action uint8

// The actions. Pseudonymise is the zero value: what is not configured is
// concealed, never kept.
const (
	// Pseudonymise replaces a value with a keyed pseudonym: the same value
	// always gets the same pseudonym, so joins, counts and lost-caller
	// matching still work, but nobody without the key can tell the value.
	Pseudonymise Action = iota
	// Keep leaves the value in clear.
	Keep
	// Anonymise replaces the value with a constant (blank by default):
	// nothing can be joined or counted on it any more.
	Anonymise
	// Mask hides part of the value: a number's last digits (3 by default,
	// the German § 96 TKG precedent) or a name down to its initials
	// ("A. A."). Masked values collide, so masking breaks lost-caller
	// matching; pseudonyms do not.
	Mask

	numActions
)

var actionNames = [numActions]string{"pseudonymise", "keep", "anonymise", "mask"}

// String returns the action's name.
func (a Action) String() string {
	if a < numActions {
		return actionNames[a]
	}
	return "Action(" + strconv.Itoa(int(a)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (a Action) MarshalText() ([]byte, error) {
	if a >= numActions {
		return nil, fmt.Errorf("pseudo: invalid action %d", a)
	}
	return []byte(a.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseAction.
func (a *Action) UnmarshalText(b []byte) error {
	v, err := ParseAction(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// ParseAction parses an action name; the American spellings
// "pseudonymize" and "anonymize" are accepted too.
func ParseAction(s string) (Action, error) {
	switch s {
	case "pseudonymize":
		return Pseudonymise, nil
	case "anonymize":
		return Anonymise, nil
	}
	for i, n := range actionNames {
		if n == s {
			return Action(i), nil
		}
	}
	return 0, fmt.Errorf("pseudo: unknown action %q (actions: %s)", s, strings.Join(actionNames[:], ", "))
}

// DefaultMaskDigits is how many trailing digits Mask hides by default.
const DefaultMaskDigits = 3

// Rule is what a Policy does to one field: the action and its parameter.
type Rule struct {
	Action Action
	// MaskDigits is how many trailing digits Mask hides; number fields
	// only, 1 to 15 (0 means DefaultMaskDigits).
	MaskDigits int
	// Constant is what Anonymise writes instead of the value (blank by
	// default); not for number fields, which become "no number".
	Constant string
}

// Policy says, per personal field, what happens to it before data leaves
// the company. The zero value is the default policy: every personal field
// pseudonymised, except the free-text fields Comment and PresenceMessage,
// which are anonymised. A Policy is an immutable value; With and its
// relatives return a changed copy. Its text form ("callerNumber=mask:3,
// groupName=keep") round-trips through ParsePolicy and suits a
// configuration file.
type Policy struct {
	rules [numFields]Rule
	set   [numFields]bool
}

// defaultRule is the rule of a field no one configured.
func defaultRule(f Field) Rule {
	if fieldClasses[f] == classText {
		return Rule{Action: Anonymise}
	}
	return Rule{Action: Pseudonymise}
}

// DefaultPolicy returns the default policy (the zero Policy).
func DefaultPolicy() Policy { return Policy{} }

// KeepAll returns the policy that keeps every field in clear: the explicit
// choice for a sink that stays inside the company.
func KeepAll() Policy { return Policy{}.WithAll(Keep) }

// Rule returns the rule for f, with the defaults filled in.
func (p Policy) Rule(f Field) Rule {
	if f >= numFields {
		return Rule{}
	}
	if !p.set[f] {
		return defaultRule(f)
	}
	r := p.rules[f]
	if r.Action == Mask && fieldClasses[f] == classNumber && r.MaskDigits == 0 {
		r.MaskDigits = DefaultMaskDigits
	}
	return r
}

// Action returns what the policy does to f.
func (p Policy) Action(f Field) Action { return p.Rule(f).Action }

// With returns p with action a for the given fields.
func (p Policy) With(a Action, fields ...Field) Policy {
	for _, f := range fields {
		p = p.WithRule(f, Rule{Action: a})
	}
	return p
}

// WithAll returns p with action a for every field.
func (p Policy) WithAll(a Action) Policy { return p.With(a, Fields()...) }

// WithRule returns p with rule r for f. Validate reports a rule that does
// not fit its field.
func (p Policy) WithRule(f Field, r Rule) Policy {
	if f < numFields {
		if r.Action == Mask && fieldClasses[f] == classNumber && r.MaskDigits == DefaultMaskDigits {
			r.MaskDigits = 0 // one canonical form, so equal policies compare equal
		}
		if r.Action != Mask {
			r.MaskDigits = 0
		}
		if r.Action != Anonymise {
			r.Constant = ""
		}
		p.rules[f], p.set[f] = r, r != defaultRule(f)
		if !p.set[f] {
			p.rules[f] = Rule{}
		}
	}
	return p
}

// Pseudonymises reports the fields p pseudonymises: a Pseudonymiser needs a
// key for them.
func (p Policy) Pseudonymises() []Field {
	var fs []Field
	for f := range numFields {
		if p.Action(f) == Pseudonymise {
			fs = append(fs, f)
		}
	}
	return fs
}

// Validate reports rules that do not fit their field, naming the field:
// Mask on an id, a login or free text (only names and numbers can be
// masked), a digit count out of range, a constant for a number field.
func (p Policy) Validate() error {
	var errs []error
	for f := range numFields {
		if problem := ruleProblem(f, p.rules[f], p.set[f]); problem != "" {
			errs = append(errs, fmt.Errorf("%w: %s", ErrPolicy, problem))
		}
	}
	return errors.Join(errs...)
}

// ErrPolicy is wrapped by every error about a policy that does not fit its
// fields, and by every ParsePolicy error.
var ErrPolicy = errors.New("pseudo: invalid policy")

// ruleProblem says what is wrong with rule r for field f, "" if nothing.
func ruleProblem(f Field, r Rule, set bool) string {
	c := fieldClasses[f]
	switch {
	case !set:
	case r.Action >= numActions:
		return fmt.Sprintf("%v: invalid action %d", f, r.Action)
	case r.Action == Mask && c != className && c != classNumber:
		return fmt.Sprintf("%v cannot be masked: only names and numbers can; pseudonymise or anonymise it", f)
	case r.Action == Mask && c == className && r.MaskDigits != 0:
		return fmt.Sprintf("%v is a name: it masks to initials and takes no digit count", f)
	case r.Action == Mask && (r.MaskDigits < 0 || r.MaskDigits > 15):
		return fmt.Sprintf("%v: mask digits %d out of range 1 to 15", f, r.MaskDigits)
	case r.Action == Anonymise && c == classNumber && r.Constant != "":
		return fmt.Sprintf("%v is a number: anonymised it becomes no number and takes no constant", f)
	}
	return ""
}

// String returns the policy's text form: the rules that differ from the
// default, in field order, comma-separated; "" for the default policy.
func (p Policy) String() string {
	var b strings.Builder
	for f := range numFields {
		if !p.set[f] {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		r := p.Rule(f)
		b.WriteString(f.String())
		b.WriteByte('=')
		b.WriteString(r.Action.String())
		switch {
		case r.Action == Mask && fieldClasses[f] == classNumber:
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(r.MaskDigits))
		case r.Action == Anonymise && r.Constant != "":
			b.WriteByte(':')
			b.WriteString(strconv.Quote(r.Constant))
		}
	}
	return b.String()
}

// MarshalText implements encoding.TextMarshaler with String's form.
func (p Policy) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParsePolicy.
func (p *Policy) UnmarshalText(b []byte) error {
	v, err := ParsePolicy(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// ParsePolicy parses a policy's text form: comma-separated rules
// "field=action", where field may be "all" (every field; later rules
// override it), "mask" may take a digit count for number fields
// ("mask:4"), and "anonymise" may take a quoted constant
// (anonymise:"unknown"). Fields not named keep their default. The empty
// text is the default policy. Errors name the rule and its position.
func ParsePolicy(s string) (Policy, error) {
	var p Policy
	rest := strings.TrimSpace(s)
	for n := 1; rest != ""; n++ {
		name, after, ok := strings.Cut(rest, "=")
		if !ok {
			return Policy{}, fmt.Errorf("%w: rule %d %q: want field=action", ErrPolicy, n, rest)
		}
		name = strings.TrimSpace(name)
		var fields []Field
		if name == "all" {
			fields = Fields()
		} else {
			f, err := ParseField(name)
			if err != nil {
				return Policy{}, fmt.Errorf("%w: rule %d: %s", ErrPolicy, n, strings.TrimPrefix(err.Error(), "pseudo: "))
			}
			fields = []Field{f}
		}
		after = strings.TrimLeft(after, " ")
		end := strings.IndexAny(after, ":,")
		if end < 0 {
			end = len(after)
		}
		a, err := ParseAction(strings.TrimSpace(after[:end]))
		if err != nil {
			return Policy{}, fmt.Errorf("%w: rule %d (%s): %s", ErrPolicy, n, name, strings.TrimPrefix(err.Error(), "pseudo: "))
		}
		r := Rule{Action: a}
		rest = after[end:]
		if strings.HasPrefix(rest, ":") {
			rest = strings.TrimLeft(rest[1:], " ")
			switch a {
			case Mask:
				i := 0
				for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
					i++
				}
				d, err := strconv.Atoi(rest[:i])
				if err != nil || d < 1 || d > 15 {
					return Policy{}, fmt.Errorf("%w: rule %d (%s): mask takes a digit count from 1 to 15, got %q", ErrPolicy, n, name, rest[:i])
				}
				r.MaskDigits, rest = d, rest[i:]
			case Anonymise:
				q, err := strconv.QuotedPrefix(rest)
				if err != nil {
					return Policy{}, fmt.Errorf("%w: rule %d (%s): anonymise takes a quoted constant, like anonymise:\"unknown\"", ErrPolicy, n, name)
				}
				r.Constant, _ = strconv.Unquote(q)
				rest = rest[len(q):]
			default:
				return Policy{}, fmt.Errorf("%w: rule %d (%s): %v takes no parameter", ErrPolicy, n, name, a)
			}
		}
		rest = strings.TrimSpace(rest)
		if rest != "" {
			if rest[0] != ',' {
				return Policy{}, fmt.Errorf("%w: rule %d (%s): unexpected %q", ErrPolicy, n, name, rest)
			}
			rest = strings.TrimSpace(rest[1:])
			if rest == "" {
				return Policy{}, fmt.Errorf("%w: rule %d (%s): trailing comma", ErrPolicy, n, name)
			}
			if rest[0] == ',' {
				return Policy{}, fmt.Errorf("%w: rule %d is empty (two commas)", ErrPolicy, n+1)
			}
		}
		for _, f := range fields {
			fr := r
			if !fits(f, fr) {
				if name != "all" {
					return Policy{}, fmt.Errorf("%w: rule %d: %s", ErrPolicy, n, ruleProblem(f, Policy{}.WithRule(f, fr).rules[f], true))
				}
				// "all=mask" masks what can be masked and leaves the rest
				// at its default; "all=anonymise:\"x\"" blanks the numbers.
				fr = fitted(f, fr)
			}
			p = p.WithRule(f, fr)
		}
	}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// fits reports whether r is valid for f.
func fits(f Field, r Rule) bool {
	return Policy{}.WithRule(f, r).Validate() == nil
}

// fitted adapts a rule given for "all" to a field it does not fit.
func fitted(f Field, r Rule) Rule {
	switch c := fieldClasses[f]; {
	case r.Action == Mask && c == className:
		return Rule{Action: Mask}
	case r.Action == Mask:
		return defaultRule(f) // ids and logins pseudonymised, free text anonymised
	case r.Action == Anonymise && c == classNumber:
		return Rule{Action: Anonymise}
	}
	return r
}
