// agetool: the Go reference implementation of age (filippo.io/age), for the tests
// of hostform's secrets (which use pyrage, the Rust one): a file either writes is
// read by the other.
//
//	agetool encrypt RECIPIENT...   stdin -> armored age file on stdout
//	agetool decrypt IDENTITY_FILE  age file (armored or not) on stdin -> value on stdout
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"

	"filippo.io/age"
	"filippo.io/age/armor"
)

func fail(err error) {
	fmt.Fprintln(os.Stderr, "agetool:", err)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 3 {
		fail(fmt.Errorf("usage: agetool encrypt RECIPIENT... | agetool decrypt IDENTITY_FILE"))
	}
	switch os.Args[1] {
	case "encrypt":
		var rs []age.Recipient
		for _, s := range os.Args[2:] {
			r, err := age.ParseX25519Recipient(s)
			if err != nil {
				fail(err)
			}
			rs = append(rs, r)
		}
		a := armor.NewWriter(os.Stdout)
		w, err := age.Encrypt(a, rs...)
		if err != nil {
			fail(err)
		}
		if _, err := io.Copy(w, os.Stdin); err != nil {
			fail(err)
		}
		if err := w.Close(); err != nil {
			fail(err)
		}
		if err := a.Close(); err != nil {
			fail(err)
		}
		fmt.Println()
	case "decrypt":
		f, err := os.Open(os.Args[2])
		if err != nil {
			fail(err)
		}
		ids, err := age.ParseIdentities(f)
		if err != nil {
			fail(err)
		}
		in := bufio.NewReader(os.Stdin)
		var src io.Reader = in
		if head, _ := in.Peek(len(armor.Header)); bytes.Equal(head, []byte(armor.Header)) {
			src = armor.NewReader(in)
		}
		r, err := age.Decrypt(src, ids...)
		if err != nil {
			fail(err)
		}
		if _, err := io.Copy(os.Stdout, r); err != nil {
			fail(err)
		}
	default:
		fail(fmt.Errorf("unknown command %q", os.Args[1]))
	}
}
