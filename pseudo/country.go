package pseudo

// countryCodeLen returns how many leading digits of an E.164 number (without
// the '+') are its country code, from the ITU-T E.164 assignments: 1 and 7
// have one digit, the two-digit codes are listed, every other code has
// three. A pseudonym keeps the country code so that reports can still
// group callers by country.
func countryCodeLen(digits []byte) int {
	if len(digits) == 0 {
		return 0
	}
	if digits[0] == '1' || digits[0] == '7' {
		return 1
	}
	if len(digits) < 2 {
		return len(digits)
	}
	if twoDigitCountryCodes[int(digits[0]-'0')*10+int(digits[1]-'0')] {
		return 2
	}
	return min(3, len(digits))
}

var twoDigitCountryCodes = func() (t [100]bool) {
	for _, c := range []int{
		20, 27,
		30, 31, 32, 33, 34, 36, 39,
		40, 41, 43, 44, 45, 46, 47, 48, 49,
		51, 52, 53, 54, 55, 56, 57, 58,
		60, 61, 62, 63, 64, 65, 66,
		81, 82, 84, 86,
		90, 91, 92, 93, 94, 95, 98,
	} {
		t[c] = true
	}
	return t
}()
