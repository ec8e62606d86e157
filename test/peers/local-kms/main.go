// local-kms bound to one address: upstream's command listens on every interface (":PORT"), and sigil's
// tests must bind loopback only. This runs upstream's request handler and database, configured by the same
// KMS_ACCOUNT_ID / KMS_REGION / KMS_DATA_PATH variables, on LISTEN (default 127.0.0.1:0), and prints
// "listening on HOST:PORT" once the socket is bound so that a test can read the port.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/nsmithuk/local-kms/src"
	"github.com/nsmithuk/local-kms/src/config"
	"github.com/nsmithuk/local-kms/src/data"
)

func env(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func main() {
	config.AWSAccountId = env("KMS_ACCOUNT_ID", "111122223333")
	config.AWSRegion = env("KMS_REGION", "eu-west-2")
	dataPath, err := filepath.Abs(env("KMS_DATA_PATH", "/tmp/local-kms"))
	if err != nil {
		log.Fatal(err)
	}
	config.DatabasePath = dataPath
	database := data.NewDatabase(dataPath)
	defer database.Close()

	listener, err := net.Listen("tcp", env("LISTEN", "127.0.0.1:0"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", listener.Addr())
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { src.HandleRequest(w, r, database) })
	log.Fatal(http.Serve(listener, handler))
}
