package main

import (
	"flag"
	"fmt"
	"os"

	// The image has no files but the binary: Mozilla's root CAs, compiled in, let the web and
	// Prometheus providers verify HTTPS servers when the system has no CA bundle. A bundle
	// the system does have (mounted at /etc/ssl/certs) wins.
	_ "golang.org/x/crypto/x509roots/fallback"
)

// version is stamped at build time: -ldflags "-X main.version=$(git describe --tags)".
var version = "dev"

// versionFlag registers --version; printVersionIfAsked prints it and exits when it was given.
var versionFlag = flag.Bool("version", false, "Print the version and exit.")

func printVersionIfAsked() {
	if *versionFlag {
		fmt.Println("ramp-controller", version)
		os.Exit(0)
	}
}
