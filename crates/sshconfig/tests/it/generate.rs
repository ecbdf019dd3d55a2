//! Deterministic generators shared by the tests and the fuzz and bench
//! examples (which include this file by path).
#![allow(dead_code)]

/// splitmix64: tiny, fast and good enough to drive generated tests.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Hosts the resolution cases ask about.
pub const HOSTS: &[&str] = &[
    "web",
    "db",
    "web-1",
    "Web",
    "db.example.com",
    "10.0.0.5",
    "jump",
];

/// Host patterns, including wildcards and negations.
const PATTERNS: &[&str] = &[
    "*",
    "web",
    "db",
    "web-?",
    "web*",
    "*.example.com",
    "!db",
    "!web-1",
    "Web",
    "10.0.0.*",
    "jump",
    "nomatch",
    "d?",
    "*b*",
    "!*.com",
];

/// Valid values per option, as a user might spell them.
pub const VALUES: &[(&str, &[&str])] = &[
    (
        "HostName",
        &[
            "real.example.com",
            "%h.internal",
            "10.1.2.3",
            "%h",
            "Gateway.%h.Net",
            "x%%y",
        ],
    ),
    ("User", &["alice", "bob", "root", "Admin"]),
    ("Port", &["22", "2222", "443", "65535", "+8022"]),
    ("AddressFamily", &["inet", "inet6", "any", "INET"]),
    ("BatchMode", &["yes", "no", "true", "False"]),
    ("CheckHostIP", &["yes", "no"]),
    ("Compression", &["yes", "no", "TRUE"]),
    ("ControlMaster", &["auto", "autoask", "yes", "no", "ask"]),
    ("ClearAllForwardings", &["yes", "no"]),
    ("ExitOnForwardFailure", &["yes", "no"]),
    ("ForwardX11", &["yes", "no"]),
    ("ForwardX11Trusted", &["yes", "no"]),
    ("GatewayPorts", &["yes", "no"]),
    ("HashKnownHosts", &["yes", "no"]),
    ("HostbasedAuthentication", &["yes", "no"]),
    ("IdentitiesOnly", &["yes", "no"]),
    ("KbdInteractiveAuthentication", &["yes", "no"]),
    ("ChallengeResponseAuthentication", &["yes", "no"]),
    ("NoHostAuthenticationForLocalhost", &["yes", "no"]),
    ("PasswordAuthentication", &["yes", "no"]),
    ("PermitLocalCommand", &["yes", "no"]),
    ("ProxyUseFdpass", &["no"]),
    (
        "PubkeyAuthentication",
        &["yes", "no", "unbound", "host-bound"],
    ),
    ("RequestTTY", &["yes", "no", "force", "auto"]),
    ("SessionType", &["none", "subsystem", "default"]),
    ("StdinNull", &["yes", "no"]),
    ("ForkAfterAuthentication", &["yes", "no"]),
    ("StreamLocalBindUnlink", &["yes", "no"]),
    (
        "StrictHostKeyChecking",
        &["yes", "no", "ask", "accept-new", "off"],
    ),
    ("TCPKeepAlive", &["yes", "no"]),
    ("Tunnel", &["yes", "no", "ethernet", "point-to-point"]),
    ("VerifyHostKeyDNS", &["yes", "no", "ask"]),
    ("VisualHostKey", &["yes", "no"]),
    ("UpdateHostKeys", &["yes", "no", "ask"]),
    ("ConnectionAttempts", &["1", "3", "10"]),
    ("ForwardX11Timeout", &["1h", "20m", "90", "1m30s"]),
    ("NumberOfPasswordPrompts", &["1", "5"]),
    ("ServerAliveCountMax", &["0", "3", "8"]),
    ("ServerAliveInterval", &["0", "30", "1m", "2h3"]),
    ("BindAddress", &["127.0.0.1", "::1"]),
    ("BindInterface", &["lo", "eth0"]),
    (
        "ControlPath",
        &[
            "~/.ssh/cm-%r@%h:%p",
            "/tmp/%C",
            "none",
            "~/s/%n-%k-%u-%L",
            "/run/%i/%d%%",
        ],
    ),
    ("HostKeyAlias", &["Alias-One", "web-key"]),
    (
        "IdentityAgent",
        &["~/agent.sock", "none", "SSH_AUTH_SOCK", "/run/%u/agent"],
    ),
    ("LocalCommand", &["echo %h %p", "none", "notify-send done"]),
    (
        "RemoteCommand",
        &["tmux attach -t %r", "echo %h:%p %n", "none"],
    ),
    (
        "LogLevel",
        &[
            "QUIET", "FATAL", "error", "info", "Verbose", "debug", "DEBUG1", "debug2", "DEBUG3",
        ],
    ),
    (
        "PreferredAuthentications",
        &["publickey", "publickey,password"],
    ),
    ("XAuthLocation", &["/usr/bin/xauth", "/opt/X11/bin/xauth"]),
    ("KnownHostsCommand", &["/bin/kh %h %p"]),
    (
        "DynamicForward",
        &["1080", "localhost:1081", "*:1082", "[::1]:1083"],
    ),
    (
        "LocalForward",
        &[
            "8080 localhost:80",
            "127.0.0.1:8443 db:443",
            "9000 [::1]:9000",
            "/tmp/l.sock host:5",
            "5432 /run/pg.sock",
            "*:8081 h:1",
        ],
    ),
    (
        "RemoteForward",
        &[
            "8000",
            "9090 localhost:90",
            "localhost:7000 web:22",
            "/tmp/r.sock /tmp/s.sock",
        ],
    ),
    (
        "IdentityFile",
        &[
            "~/.ssh/id_ed25519",
            "~/.ssh/%h.key",
            "/keys/id_rsa",
            "\"/keys/with space\"",
            "none",
        ],
    ),
    (
        "CertificateFile",
        &["~/.ssh/id_ed25519-cert.pub", "/certs/%r.pub"],
    ),
    ("GlobalKnownHostsFile", &["/etc/gk", "/etc/a /etc/b"]),
    (
        "UserKnownHostsFile",
        &[
            "~/.ssh/known_hosts",
            "/dev/null",
            "~/kh1 ~/kh2",
            "none",
            "/kh/%h",
        ],
    ),
    (
        "SendEnv",
        &["LANG LC_*", "EDITOR", "-LC_*", "-LANG", "GIT_*"],
    ),
    ("SetEnv", &["FOO=bar", "A=1 B=2", "\"C=x y\"", "A=3"]),
    (
        "AddKeysToAgent",
        &["yes", "no", "ask", "confirm", "confirm 5m", "1h"],
    ),
    ("ForwardAgent", &["yes", "no", "~/fwd.sock", "/tmp/a-%h"]),
    ("ConnectTimeout", &["0", "10", "1m"]),
    ("ControlPersist", &["yes", "no", "0", "10m", "1h5"]),
    ("EscapeChar", &["none", "~", "^A", "%"]),
    ("SyslogFacility", &["AUTH", "user", "local3"]),
    ("ProxyCommand", &["nc %h %p", "ssh -W %h:%p jump", "none"]),
    (
        "ProxyJump",
        &[
            "jump",
            "alice@jump:2222",
            "a@j1,b@j2:22",
            "[10.0.0.1]:22",
            "none",
            "10.9.8.7",
        ],
    ),
];

fn keyword_spelling(rng: &mut Rng, keyword: &str) -> String {
    match rng.below(4) {
        0 => keyword.to_ascii_lowercase(),
        1 => keyword.to_ascii_uppercase(),
        _ => keyword.to_string(),
    }
}

fn separator(rng: &mut Rng) -> &'static str {
    const SEPARATORS: &[&str] = &[" ", " ", "\t", "=", " = ", "  ", "= "];
    SEPARATORS[rng.below(SEPARATORS.len())]
}

fn eol(rng: &mut Rng, crlf: bool) -> &'static str {
    if crlf || rng.chance(3) {
        "\r\n"
    } else {
        "\n"
    }
}

/// An option line with a random valid value.
pub fn option_line(rng: &mut Rng) -> String {
    let (keyword, values) = *rng.pick(VALUES);
    let indent = *rng.pick(&["", "  ", "\t", "    "]);
    let comment = if rng.chance(10) { " # note" } else { "" };
    // ssh keeps a trailing comment as part of the command options.
    let comment = if matches!(
        keyword,
        "LocalCommand" | "RemoteCommand" | "KnownHostsCommand" | "ProxyCommand" | "ProxyJump"
    ) {
        ""
    } else {
        comment
    };
    format!(
        "{indent}{}{}{}{comment}",
        keyword_spelling(rng, keyword),
        separator(rng),
        rng.pick(values)
    )
}

fn host_line(rng: &mut Rng) -> String {
    let n = 1 + rng.below(3);
    let mut patterns: Vec<&str> = (0..n).map(|_| *rng.pick(PATTERNS)).collect();
    // A Host line of negations only never matches; keep most lines useful.
    if patterns.iter().all(|p| p.starts_with('!')) && rng.chance(80) {
        patterns.push("*");
    }
    format!(
        "{}{}{}",
        keyword_spelling(rng, "Host"),
        separator(rng),
        patterns.join(" ")
    )
}

fn match_line(rng: &mut Rng) -> String {
    let user = current_user();
    let criteria: Vec<String> = vec![
        "host web*".into(),
        "host db,web-1".into(),
        "host \"*.example.com\"".into(),
        "originalhost Web".into(),
        "originalhost=web".into(),
        "host !web,*".into(),
        format!("user {user}"),
        "user alice,bob".into(),
        format!("localuser {user}"),
        "localuser nobody".into(),
        "exec true".into(),
        "exec false".into(),
        "exec \"test %h = web\"".into(),
        "exec \"test %n = Web\"".into(),
        "exec \"test %r = alice\"".into(),
        "final".into(),
        "canonical".into(),
    ];
    if rng.chance(10) {
        return format!("Match {}all", if rng.chance(20) { "!" } else { "" });
    }
    let n = 1 + rng.below(2);
    let parts: Vec<String> = (0..n)
        .map(|_| {
            let c = rng.pick(&criteria).clone();
            if rng.chance(20) {
                format!("!{c}")
            } else {
                c
            }
        })
        .collect();
    format!(
        "{}{}{}",
        keyword_spelling(rng, "Match"),
        separator(rng),
        parts.join(" ")
    )
}

pub fn current_user() -> String {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| "root".into())
}

/// A configuration file for the differential test. `include` names files
/// that `Include` lines may reference (given as written in the config).
pub fn resolution_config(rng: &mut Rng, includes: &[String]) -> String {
    let crlf = rng.chance(10);
    let mut out = String::new();
    let lines = 3 + rng.below(25);
    for i in 0..lines {
        let line = match rng.below(20) {
            0 if i > 0 => host_line(rng),
            1 | 2 => host_line(rng),
            3 => match_line(rng),
            4 => "# a comment".to_string(),
            5 => String::new(),
            6 if !includes.is_empty() => format!("Include {}", rng.pick(includes)),
            _ => option_line(rng),
        };
        out.push_str(&line);
        out.push_str(eol(rng, crlf));
    }
    if rng.chance(10) {
        out.pop();
    }
    out
}

/// Arbitrary configuration-shaped bytes for the round-trip and fuzz tests:
/// option lines mixed with noise, odd whitespace, quotes, CR, NUL and
/// invalid UTF-8.
pub fn messy_config(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    let lines = rng.below(30);
    for _ in 0..lines {
        match rng.below(12) {
            0 => out.extend_from_slice(host_line(rng).as_bytes()),
            1 => out.extend_from_slice(match_line(rng).as_bytes()),
            2 => out.extend_from_slice(b"  # comment \xff\xfe"),
            3 => {}
            4 => {
                for _ in 0..rng.below(40) {
                    out.push(rng.next() as u8);
                }
            }
            5 => out.extend_from_slice(b"Include \"~/x y\" '${HOME}/z' \"unterminated"),
            6 => out.extend_from_slice(b"\t \t"),
            _ => out.extend_from_slice(option_line(rng).as_bytes()),
        }
        out.extend_from_slice(match rng.below(6) {
            0 => &b"\r\n"[..],
            1 => b"\r",
            _ => b"\n",
        });
    }
    if rng.chance(30) && !out.is_empty() {
        out.pop();
    }
    out
}

/// Flips, inserts and deletes random bytes.
pub fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(out.len() + 1);
        match rng.below(3) {
            0 if at < out.len() => out[at] = rng.next() as u8,
            1 => out.insert(at, *rng.pick(b"\n\r\t =\"'#!*?,%~$\\{}\0\xff")),
            _ if at < out.len() => {
                out.remove(at);
            }
            _ => {}
        }
    }
    out
}

impl Rng {
    /// Picks one item and clones it (keeps the borrow of `self` short).
    pub fn clone_pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}
