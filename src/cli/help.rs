//! The EXAMPLES, ENVIRONMENT and EXIT STATUS sections of each command's `--help` (and of the
//! man page, which is rendered from the same text). Lines stay within 80 columns.

/// Shown under `-h` of every subcommand: where the long sections are.
pub const MORE: &str = "Run with --help for examples, environment variables and exit status.";

/// Top-level `-h`: a few examples and where to go next.
pub const ROOT_SHORT: &str = "\
Examples:
  snow-connect                 set up (or edit) the integration in the wizard
  snow-connect --demo          try the wizard against the built-in simulator
  snow-connect check           headless diagnostics of the saved config

Run `snow-connect --help` for environment variables and exit status.";

/// Top-level `--help`.
pub const ROOT_LONG: &str = "\
EXAMPLES
  snow-connect                          set up or edit the integration
  snow-connect --demo --deny sys_choice try the wizard against a simulator
  snow-connect check                    diagnose the saved config
  snow-connect check --json | jq .ok    the same, for scripts
  snow-connect completions bash > /etc/bash_completion.d/snow-connect
  snow-connect man | man -l -

`--demo` accepts every simulator flag, see `snow-connect simulator --help`.

ENVIRONMENT
  SNOW_CONNECT_CONFIG   config file (like --config)
  SNOW_INSTANCE         instance URL (like --instance of check and fields)
  SNOW_CLIENT_ID        OAuth client id (like --client-id)
  SNOW_USERNAME         integration user (like --username)
  SNOW_CLIENT_SECRET    client secret when connecting with flags (never on argv)
  SNOW_PASSWORD         password when connecting with flags (never on argv)
  SNOW_CONNECT_LOG      log filter, e.g. debug (-v raises it); logs go to a file
  SSL_CERT_FILE         PEM bundle that replaces the system's trusted roots
  HTTPS_PROXY, ALL_PROXY, NO_PROXY   proxy settings (loopback goes direct)
  A variable that is set but empty counts as unset.

EXIT STATUS
  0    success
  1    something must change in ServiceNow or in the config
  2    usage, config or input error
  3    could not talk to the instance, or it is unavailable
  4    try again later (rate limited; the output says until when)
  130  interrupted (Ctrl-C)
  A closed stdout (`| head`) ends a command quietly with status 0.
  The wizard: 0 saved, or quit with nothing entered; 2 no usable terminal (no
  TTY, or TERM unset or dumb); 130 quit with unsaved work; 129 the terminal
  hung up (SIGHUP); 143 SIGTERM. Ending unsaved, it names the draft on stderr.";

/// `check --help`.
pub const CHECK: &str = "\
EXAMPLES
  snow-connect check
  snow-connect check --json | jq '.checks[] | select(.status != \"ok\")'
  SNOW_CLIENT_SECRET=... SNOW_PASSWORD=... snow-connect check \\
      --instance acme --client-id 4f1c... --username finout.integration

ENVIRONMENT
  SNOW_INSTANCE, SNOW_CLIENT_ID, SNOW_USERNAME
                        the same as --instance, --client-id, --username
  SNOW_CLIENT_SECRET    client secret when connecting with flags (never on argv)
  SNOW_PASSWORD         password when connecting with flags (never on argv)
  SNOW_CONNECT_CONFIG   config file to check when no connection flags are given
  SNOW_CONNECT_MAX_ROWS rows one dictionary discovery reads at most (default
                        100000; dictionary, choice and type rows together)
  SNOW_CONNECT_MAX_MIB  MiB one discovery reads at most (default 256)
  SSL_CERT_FILE         PEM bundle that replaces the system's trusted roots
  HTTPS_PROXY, ALL_PROXY, NO_PROXY   proxy settings
  A variable that is set but empty counts as unset.

EXIT STATUS
  0    every required check passed
  1    something must change in ServiceNow (an ACL, a role, the credentials),
       or the dictionary is larger than the limits above
  2    usage or config error (also an unusable --ca-file or SSL_CERT_FILE)
  3    could not talk to the instance, or it is unavailable
  4    try again later (rate limited; the output says until when)
  130  interrupted (Ctrl-C); no verdict is printed";

/// `fields --help`.
pub const FIELDS: &str = "\
EXAMPLES
  snow-connect fields
  snow-connect fields --table problem
  snow-connect fields --json | jq -r '.fields[].element'

ENVIRONMENT
  SNOW_INSTANCE, SNOW_CLIENT_ID, SNOW_USERNAME
                        the same as --instance, --client-id, --username
  SNOW_CLIENT_SECRET    client secret when connecting with flags (never on argv)
  SNOW_PASSWORD         password when connecting with flags (never on argv)
  SNOW_CONNECT_CONFIG   config file to use when no connection flags are given
  SNOW_CONNECT_MAX_ROWS rows one dictionary discovery reads at most (default
                        100000; dictionary, choice and type rows together)
  SNOW_CONNECT_MAX_MIB  MiB one discovery reads at most (default 256)
  SSL_CERT_FILE         PEM bundle that replaces the system's trusted roots
  A variable that is set but empty counts as unset.

EXIT STATUS
  0    the fields were listed
  1    the dictionary cannot be read (a missing ACL; the fix is printed), or it
       is larger than the limits above (the error names the limit)
  2    usage or config error
  3    could not talk to the instance, or it is unavailable
  4    try again later (rate limited)
  130  interrupted (Ctrl-C)";

/// `send --help`.
pub const SEND: &str = "\
EXAMPLES
  snow-connect send --endpoint 'FinOps anomalies' \\
      --short-description 'Cost spike on prod-eu' --dry-run
  snow-connect send --endpoint 'FinOps anomalies' \\
      --short-description 'Cost spike on prod-eu' --json | jq -r .number

send always connects with the saved config (it needs its endpoints).

ENVIRONMENT
  SNOW_CONNECT_CONFIG   config file with the endpoint
  SNOW_CLIENT_SECRET, SNOW_PASSWORD (or the variables the config names in
  client_secret_env / password_env) hold the secrets the config refers to.
  SSL_CERT_FILE         PEM bundle that replaces the system's trusted roots
  A variable that is set but empty counts as unset.

EXIT STATUS
  0    the incident was created (or --dry-run found the endpoint valid)
  1    ServiceNow refused it, or the endpoint no longer fits the instance
  2    usage or config error (unknown endpoint, empty description)
  3    could not talk to the instance, or it is unavailable
  4    try again later (rate limited; the output says until when)
  130  interrupted (Ctrl-C)";

/// `simulator --help`.
pub const SIMULATOR: &str = "\
EXAMPLES
  snow-connect simulator
  snow-connect simulator --tls --deny sys_dictionary.* --latency-ms 200
  url=$(snow-connect simulator | head -1)   # the first line is the base URL

The same flags work with `snow-connect --demo`.

ENVIRONMENT
  SNOW_CONNECT_LOG      log filter, e.g. debug; logs go to --log-file

EXIT STATUS
  0    stopped by SIGTERM
  1    the TLS certificate or the bundled dataset could not be set up
  2    a flag has a value the simulator cannot use
  130  stopped by Ctrl-C (SIGINT)";

/// `config --help`.
pub const CONFIG: &str = "\
EXAMPLES
  snow-connect config path
  snow-connect config show
  snow-connect config show --json | jq .servicenow.client_secret
  snow-connect config remove --yes

ENVIRONMENT
  SNOW_CONNECT_CONFIG   the config file (like --config)
  Secrets are never printed: show says where each one comes from.
  A variable that is set but empty counts as unset.

EXIT STATUS
  0    success (also: nothing removed because you said no)
  2    no config, a config that does not load, or no terminal to confirm on
  130  interrupted (Ctrl-C)";

/// `completions --help`.
pub const COMPLETIONS: &str = "\
EXAMPLES
  snow-connect completions bash > /etc/bash_completion.d/snow-connect
  snow-connect completions zsh > ~/.zfunc/_snow-connect
  snow-connect completions fish > ~/.config/fish/completions/snow-connect.fish

ENVIRONMENT
  None.

EXIT STATUS
  0    printed
  2    unknown shell";

/// `man --help`.
pub const MAN: &str = "\
EXAMPLES
  snow-connect man | man -l -
  snow-connect man > /usr/local/share/man/man1/snow-connect.1

ENVIRONMENT
  None.

EXIT STATUS
  0    printed";
