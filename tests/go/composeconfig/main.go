// composeconfig: the Compose project as `docker compose config` sees it, for the
// tests of `hostform import compose` (tests/compose). It loads the files with
// compose-go (github.com/compose-spec/compose-go/v2, the loader docker compose
// itself uses) and the same options docker compose gives it (cmd/compose/compose.go
// ToProjectOptions): the process environment first, then --env-file or the .env of
// the project directory, the profiles, the override file beside a default file,
// interpolation, extends, merging and normalization. It prints the normalized
// project as JSON on stdout, with the services a profile left out under
// "disabled_services"; on an error, the error on stderr and exit 1.
//
//	composeconfig [-f FILE]... [--profile NAME]... [--env-file FILE]... [--project-directory DIR]
//
// Without -f it looks for compose.yaml, compose.yml, docker-compose.yaml,
// docker-compose.yml (and the override file) in the current directory, as docker
// compose does.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func fail(err error) {
	fmt.Fprintln(os.Stderr, "composeconfig:", err)
	os.Exit(1)
}

func main() {
	var files, profiles, envFiles list
	flag.Var(&files, "f", "a compose file (repeatable, merged in order)")
	flag.Var(&profiles, "profile", "a profile to enable (repeatable)")
	flag.Var(&envFiles, "env-file", "an environment file instead of PROJECT_DIR/.env (repeatable)")
	projectDir := flag.String("project-directory", "", "the project directory (default: the first file's)")
	name := flag.String("p", "", "the project name (default: the `name:` key, else the directory's name)")
	flag.Parse()
	if flag.NArg() != 0 {
		fail(fmt.Errorf("unexpected arguments %q", flag.Args()))
	}
	pwd, err := os.Getwd()
	if err != nil {
		fail(err)
	}
	// The order of docker compose's ToProjectOptions (v2.x), and the load options of `docker compose config`.
	options, err := cli.NewProjectOptions(files,
		cli.WithWorkingDirectory(*projectDir),
		cli.WithOsEnv,
		cli.WithEnv([]string{"PWD=" + pwd}),
		cli.WithEnvFiles(envFiles...),
		cli.WithDotEnv,
		cli.WithConfigFileEnv,
		cli.WithDefaultConfigPath,
		cli.WithEnvFiles(envFiles...),
		cli.WithDotEnv,
		cli.WithDefaultProfiles(profiles...),
		cli.WithName(*name),
		cli.WithInterpolation(true),
		cli.WithResolvedPaths(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
	)
	if err != nil {
		fail(err)
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	data, err := json.Marshal(project)
	if err != nil {
		fail(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		fail(err)
	}
	out["disabled_services"] = project.DisabledServices
	if out["disabled_services"] == nil {
		out["disabled_services"] = map[string]any{}
	}
	out["compose_files"] = project.ComposeFiles
	data, err = json.MarshalIndent(out, "", "  ")
	if err != nil {
		fail(err)
	}
	fmt.Println(string(data))
}
