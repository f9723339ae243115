package auth

// SharedSettings counts the LoginConfig settings that Sessions share.
func SharedSettings() (n int) {
	sharedSettings.Range(func(any, any) bool { n++; return true })
	return n
}
