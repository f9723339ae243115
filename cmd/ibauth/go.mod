module github.com/ibkit/auth/cmd/ibauth

go 1.26.0

require (
	github.com/ibkit/auth v0.3.0
	github.com/itchyny/gojq v0.12.20
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
	golang.org/x/term v0.48.0
)

require (
	github.com/gofrs/flock v0.13.2 // indirect
	github.com/itchyny/timefmt-go v0.1.9 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/oauth2 v0.38.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)
