package sim

import (
	"strconv"
	"strings"
)

// Fixed name lists: the directory and the callers must not depend on
// anything but the Config. 24 first names and 23 last names give 552 distinct
// agents (gcd(24+1, 23) = 1, see personName).
var (
	firstNames = []string{
		"Anna", "Bernd", "Claudia", "Dieter", "Elke", "Frank", "Gabriele", "Hans",
		"Ingrid", "Jürgen", "Katrin", "Lukas", "Monika", "Norbert", "Olga", "Peter",
		"Renate", "Stefan", "Tanja", "Uwe", "Vera", "Wolfgang", "Yvonne", "Zoran",
	}
	lastNames = []string{
		"Berger", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
		"Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz",
		"Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Müller",
	}
	groupNames = []string{"Zentrale", "Vertrieb", "Buchhaltung", "Einkauf", "Personal", "Marketing", "Logistik", "Empfang"}
	queueNames = []string{"Support Hotline", "Service-Hotline", "Technik", "Bestellannahme", "Reklamation"}

	companySuffixes = []string{"GmbH", "AG", "KG", "GmbH & Co. KG", "Elektrotechnik GmbH", "Logistik GmbH", "Bau GmbH", "Steuerberatung", "Autohaus", "Praxis"}
	areaCodes       = []string{"711", "7031", "7141", "7151", "7152", "89", "30", "40", "221", "69", "621", "761", "911", "731"}
	mobilePrefixes  = []string{"151", "152", "160", "162", "170", "171", "172", "176", "1520", "157"}
)

// personName returns the i-th agent's name. The pairs are distinct for
// i < 24·23 because the last-name index advances by 25 ≡ 2 (mod 23) per
// round of first names.
func personName(i int) (first, last string) {
	f := len(firstNames)
	return firstNames[i%f], lastNames[(i+i/f)%len(lastNames)]
}

// loginName is "first.last" in ASCII; from the 553rd agent on the names
// repeat, so the index keeps the login unique.
func loginName(first, last string, i int) string {
	l := asciiLower(first) + "." + asciiLower(last)
	if i >= len(firstNames)*len(lastNames) {
		l += strconv.Itoa(i)
	}
	return l
}

var umlauts = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss", "Ä", "ae", "Ö", "oe", "Ü", "ue")

func asciiLower(s string) string { return strings.ToLower(umlauts.Replace(s)) }

func nth(names []string, k int, prefix string) string {
	if k < len(names) {
		return names[k]
	}
	return prefix + strconv.Itoa(k+1)
}

// mix64 is SplitMix64's finaliser: a bijective, well-mixed hash used to
// derive numbers and names from an index without storing them, so that the
// caller pool costs no memory.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// externalParty returns the number and the caller-id name (often empty) of
// the external party with the given index in the seed's population.
// Indexes below the pool size are the company's customers, who call
// repeatedly; the rest are one-off numbers.
func externalParty(seed, idx uint64) (number, name string) {
	h := mix64(seed ^ mix64(idx))
	var b strings.Builder
	b.Grow(16)
	b.WriteString("+49")
	digits := 7
	if h%4 == 0 {
		b.WriteString(mobilePrefixes[(h>>8)%uint64(len(mobilePrefixes))])
	} else {
		area := areaCodes[(h>>8)%uint64(len(areaCodes))]
		b.WriteString(area)
		digits = 10 - len(area) // national significant number of 10 digits
		if (h>>12)%3 == 0 {
			digits++
		}
	}
	b.WriteString(subscriber(h>>16, digits))
	switch r := (h >> 40) % 100; {
	case r < 25:
		name = lastNames[(h>>48)%uint64(len(lastNames))] + " " + companySuffixes[(h>>56)%uint64(len(companySuffixes))]
	case r < 33:
		name = firstNames[(h>>48)%uint64(len(firstNames))] + " " + lastNames[(h>>56)%uint64(len(lastNames))]
	}
	return b.String(), name
}

// mobileNumber is an agent's own mobile, the target of forwards to an
// external number.
func mobileNumber(i uint64) string {
	h := mix64(0x6d6f62696c65 ^ i)
	return "+49" + mobilePrefixes[h%uint64(len(mobilePrefixes))] + subscriber(h>>8, 7)
}

// subscriber returns n digits from h, the first not 0.
func subscriber(h uint64, n int) string {
	buf := make([]byte, n)
	for i := range buf {
		buf[i] = byte('0' + h%10)
		h /= 10
	}
	if buf[0] == '0' {
		buf[0] = '1' + byte(h%9)
	}
	return string(buf)
}
