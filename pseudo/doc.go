// Package pseudo conceals personal data before it leaves the company: names,
// numbers, logins, and the call ids and caller-id strings that embed them
// (DOMAIN.md §3 P marks and §4).
//
// # Policy
//
// A Policy says per personal Field what happens to it: Pseudonymise (the
// default), Keep, Anonymise (blank or a constant) or Mask (a number's last
// digits, a name's initials). The zero Policy pseudonymises every personal
// field and anonymises free text (comments, presence messages), so what
// nobody configured is never sent in clear. A policy has a text form for
// configuration files:
//
//	callerNumber=mask:3,calledNumber=mask:3,groupName=keep
//
// # Pseudonyms
//
// A Pseudonymiser makes keyed HMAC-SHA-256 pseudonyms with the customer's
// Key. The same value always gets the same pseudonym, in every run, process
// and dataset, so historical and live data still join and lost callers are
// still found. Pseudonyms stay readable ("Person 7F3A91C2D04E-k1",
// "+49 7… #3F2A9B1C04D2-k1": a number keeps its country code and first
// digit, so reports can group by region) and carry the key's id.
//
// A plain hash of a phone number is no protection: there are few enough
// numbers to hash them all and look the hash up. A keyed hash cannot be
// reversed that way without the key, which is why the key must stay with
// the customer (and why NewKey refuses short or evidently weak keys).
//
// # Pseudonymise or mask?
//
// Masking ("+4971112xxx", the German § 96 TKG precedent for itemised
// bills) shows more of a number than a pseudonym does and joins nothing:
// many numbers share a mask, so a masked number is not Matchable and every
// lost call of a masked caller is unrecoverable. Pseudonyms reveal less and
// keep every count, join and lost-caller match exact. Anonymising keeps
// nothing at all. Give CallerNumber and CalledNumber the same action, or a
// caller's number no longer matches the number an agent called back.
//
// # Records and sinks
//
// Apply conceals a whole batch of any record type in one call (raw
// entries, accounts, calls, legs, journeys, lost calls and callers,
// parties, best buddies, repeat calls, live snapshots; report rows without
// personal fields are copied) and returns a deep copy: the input is
// unchanged, so one pipeline can feed a pseudonymised and a clear sink. A
// batch of an unknown type is refused (ErrUnsupportedType), never passed
// on in clear. The SDK's sinks (sqlsink, powerbi) require a
// *Pseudonymiser and send every batch through Apply, so nothing reaches
// them unconcealed by accident; Clear() is the explicit choice to write
// clear data. A nil or zero Pseudonymiser conceals everything.
//
// Rows pseudonymised before interpretation interpret exactly like their
// clear originals, pseudonymised: cdr reads pseudonymous numbers back,
// normalises them to themselves and splits them from caller-id names.
//
// # Key rotation
//
// Every pseudonym ends in "-" and its key's id; KeyID reads it back. To
// rotate, generate a key with a new id and use it from a cut-over date:
// values made with different keys never look alike, and the key id tells
// old from new. Pseudonyms cannot be translated from one key to another
// (that would need the clear values), so joins across the cut-over need a
// re-export of the history from the clear source under the new key, into
// new tables or datasets: a call's pseudonymised id is part of a sink's
// natural key.
//
// # Errors
//
// Key errors wrap the sentinels ErrNoKey, ErrShortKey, ErrWeakKey,
// ErrKeyID and ErrKeyText; policy errors wrap ErrPolicy and name the rule
// and the field at fault:
//
//	k, err := pseudo.ParseKey(os.Getenv("STARINSIGHT_PSEUDO_KEY"))
//	if errors.Is(err, pseudo.ErrShortKey) || errors.Is(err, pseudo.ErrWeakKey) {
//		log.Fatalf("%v (make one with pseudo.GenerateKey)", err)
//	}
//
// A Key never prints its secret (String, GoString, LogValue show the id);
// Export writes it for a secret store.
package pseudo
