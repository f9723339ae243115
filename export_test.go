package auth

// EchoForm is an encoding a server may echo a secret in, for the tests of
// package auth_test.
type EchoForm struct {
	Name string
	Enc  func(secret string) string
}

// EchoForms returns the encodings the scrubbing tests use.
func EchoForms() []EchoForm {
	forms := make([]EchoForm, len(echoForms))
	for i, f := range echoForms {
		forms[i] = EchoForm{f.name, f.enc}
	}
	return forms
}

// ShowsSecret reports the first form in which out shows secret.
var ShowsSecret = showsSecret

// SharedSettings counts the LoginConfig settings that Sessions share.
func SharedSettings() (n int) {
	sharedSettings.Range(func(any, any) bool { n++; return true })
	return n
}
