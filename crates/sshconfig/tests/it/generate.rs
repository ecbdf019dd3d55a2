//! Deterministic generators shared by the tests and the fuzz and bench
//! examples (which include this file by path).
#![allow(dead_code)]

use sshconfig::Openssh;

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

/// Which releases accept a keyword.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Every supported release.
    Any,
    /// Debian's builds (Debian's own keywords).
    Debian,
    /// OpenSSH 9.4 (`Tag`).
    V94,
    /// OpenSSH 9.5 (`ObscureKeystrokeTiming`).
    V95,
}

impl Needs {
    pub fn accepts(self, version: &Openssh) -> bool {
        match self {
            Needs::Any => true,
            Needs::Debian => version.is_debian(),
            Needs::V94 => (version.major(), version.minor()) >= (9, 4),
            Needs::V95 => (version.major(), version.minor()) >= (9, 5),
        }
    }
}

/// Valid values per option, as a user might spell them, and the releases
/// that accept the keyword. Every supported option is here (a test checks
/// it), so that the generated corpus covers them all.
pub const VALUES: &[(&str, Needs, &[&str])] = &[
    (
        "HostName",
        Needs::Any,
        &[
            "real.example.com",
            "%h.internal",
            "10.1.2.3",
            "%h",
            "Gateway.%h.Net",
            "x%%y",
            "010.1",
            "::1",
        ],
    ),
    (
        "User",
        Needs::Any,
        &["alice", "bob", "root", "Admin", "\"j doe\""],
    ),
    ("Port", Needs::Any, &["22", "2222", "443", "65535", "+8022"]),
    (
        "AddressFamily",
        Needs::Any,
        &["inet", "inet6", "any", "INET"],
    ),
    ("BatchMode", Needs::Any, &["yes", "no", "true", "False"]),
    ("CheckHostIP", Needs::Any, &["yes", "no"]),
    ("Compression", Needs::Any, &["yes", "no", "YES"]),
    (
        "ControlMaster",
        Needs::Any,
        &["auto", "autoask", "yes", "no", "ask"],
    ),
    ("EnableSSHKeysign", Needs::Any, &["yes", "no"]),
    ("ClearAllForwardings", Needs::Any, &["yes", "no"]),
    ("ExitOnForwardFailure", Needs::Any, &["yes", "no"]),
    ("FingerprintHash", Needs::Any, &["md5", "sha256", "SHA256"]),
    ("ForwardX11", Needs::Any, &["yes", "no"]),
    ("ForwardX11Trusted", Needs::Any, &["yes", "no"]),
    ("GatewayPorts", Needs::Any, &["yes", "no"]),
    ("GSSAPIAuthentication", Needs::Any, &["yes", "no"]),
    ("GSSAPIDelegateCredentials", Needs::Any, &["yes", "no"]),
    ("HashKnownHosts", Needs::Any, &["yes", "no"]),
    ("HostbasedAuthentication", Needs::Any, &["yes", "no"]),
    ("IdentitiesOnly", Needs::Any, &["yes", "no"]),
    ("KbdInteractiveAuthentication", Needs::Any, &["yes", "no"]),
    (
        "ChallengeResponseAuthentication",
        Needs::Any,
        &["yes", "no"],
    ),
    (
        "NoHostAuthenticationForLocalhost",
        Needs::Any,
        &["yes", "no"],
    ),
    ("PasswordAuthentication", Needs::Any, &["yes", "no"]),
    ("PermitLocalCommand", Needs::Any, &["yes", "no"]),
    ("ProxyUseFdpass", Needs::Any, &["no", "yes"]),
    (
        "PubkeyAuthentication",
        Needs::Any,
        &["yes", "no", "unbound", "host-bound"],
    ),
    ("DSAAuthentication", Needs::Any, &["yes", "no"]),
    ("RequestTTY", Needs::Any, &["yes", "no", "force", "auto"]),
    ("SessionType", Needs::Any, &["none", "subsystem", "default"]),
    ("StdinNull", Needs::Any, &["yes", "no"]),
    // `yes` needs a command (a hand-written case has one).
    ("ForkAfterAuthentication", Needs::Any, &["no"]),
    ("StreamLocalBindUnlink", Needs::Any, &["yes", "no"]),
    (
        "StrictHostKeyChecking",
        Needs::Any,
        &["yes", "no", "ask", "accept-new", "off"],
    ),
    ("TCPKeepAlive", Needs::Any, &["yes", "no"]),
    ("KeepAlive", Needs::Any, &["yes", "no"]),
    (
        "Tunnel",
        Needs::Any,
        &["yes", "no", "ethernet", "point-to-point"],
    ),
    ("VerifyHostKeyDNS", Needs::Any, &["yes", "no", "ask"]),
    ("VisualHostKey", Needs::Any, &["yes", "no"]),
    ("UpdateHostKeys", Needs::Any, &["yes", "no", "ask"]),
    ("EnableEscapeCommandline", Needs::Any, &["yes", "no"]),
    ("ConnectionAttempts", Needs::Any, &["1", "3", "10"]),
    (
        "ForwardX11Timeout",
        Needs::Any,
        &["1h", "20m", "90", "1m30s", "none"],
    ),
    ("NumberOfPasswordPrompts", Needs::Any, &["1", "5"]),
    ("ServerAliveCountMax", Needs::Any, &["0", "3", "8"]),
    (
        "ServerAliveInterval",
        Needs::Any,
        &["0", "30", "1m", "2h3", "none"],
    ),
    ("ProtocolKeepAlives", Needs::Debian, &["45", "2m"]),
    ("SetupTimeOut", Needs::Debian, &["20", "1m"]),
    ("RequiredRSASize", Needs::Any, &["1024", "2048"]),
    (
        "ObscureKeystrokeTiming",
        Needs::V95,
        &["yes", "no", "interval:80", "interval:20"],
    ),
    ("BindAddress", Needs::Any, &["127.0.0.1", "::1"]),
    ("BindInterface", Needs::Any, &["lo", "eth0"]),
    (
        "ControlPath",
        Needs::Any,
        &[
            "~/.ssh/cm-%r@%h:%p",
            "/tmp/%C",
            "none",
            "~/s/%n-%k-%u-%L",
            "/run/%i/%d%%",
            "\"/tmp/with space/%C\"",
        ],
    ),
    ("HostKeyAlias", Needs::Any, &["Alias-One", "web-key"]),
    (
        "IdentityAgent",
        Needs::Any,
        &["~/agent.sock", "none", "SSH_AUTH_SOCK", "/run/%u/agent"],
    ),
    (
        "IgnoreUnknown",
        Needs::Any,
        &["UseKeychain", "AddKeysToAgent,UseKeychain"],
    ),
    ("KbdInteractiveDevices", Needs::Any, &["pam", "bsdauth,pam"]),
    (
        "LocalCommand",
        Needs::Any,
        &["echo %h %p", "none", "notify-send done"],
    ),
    (
        "RemoteCommand",
        Needs::Any,
        &["tmux attach -t %r", "echo %h:%p %n", "none"],
    ),
    (
        "LogLevel",
        Needs::Any,
        &[
            "QUIET", "FATAL", "error", "info", "Verbose", "debug", "DEBUG1", "debug2", "DEBUG3",
        ],
    ),
    (
        "PKCS11Provider",
        Needs::Any,
        &["/usr/lib/opensc-pkcs11.so", "none"],
    ),
    (
        "PreferredAuthentications",
        Needs::Any,
        &["publickey", "publickey,password"],
    ),
    (
        "XAuthLocation",
        Needs::Any,
        &["/usr/bin/xauth", "/opt/X11/bin/xauth"],
    ),
    ("KnownHostsCommand", Needs::Any, &["/bin/kh %h %p"]),
    ("Tag", Needs::V94, &["work", "prod"]),
    (
        "DynamicForward",
        Needs::Any,
        &["1080", "localhost:1081", "*:1082", "[::1]:1083"],
    ),
    (
        "LocalForward",
        Needs::Any,
        &[
            "8080 localhost:80",
            "127.0.0.1:8443 db:443",
            "9000 [::1]:9000",
            "/tmp/l.sock host:5",
            "5432 /run/pg.sock",
            "*:8081 h:1",
            "7000 /run/%h.sock",
        ],
    ),
    (
        "RemoteForward",
        Needs::Any,
        &[
            "8000",
            "9090 localhost:90",
            "localhost:7000 web:22",
            "/tmp/r.sock /tmp/s.sock",
        ],
    ),
    (
        "IdentityFile",
        Needs::Any,
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
        Needs::Any,
        &["~/.ssh/id_ed25519-cert.pub", "/certs/%r.pub"],
    ),
    (
        "GlobalKnownHostsFile",
        Needs::Any,
        &["/etc/gk", "/etc/a /etc/b", "none"],
    ),
    (
        "UserKnownHostsFile",
        Needs::Any,
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
        Needs::Any,
        &["LANG LC_*", "EDITOR", "-LC_*", "-LANG", "GIT_*"],
    ),
    (
        "SetEnv",
        Needs::Any,
        &["FOO=bar", "A=1 B=2", "\"C=x y\"", "A=3", "H=%h"],
    ),
    (
        "LogVerbose",
        Needs::Any,
        &["kex.c:*:1000", "none", "a.c:*:1 b.c:f:2"],
    ),
    (
        "PermitRemoteOpen",
        Needs::Any,
        &["any", "none", "localhost:8080", "*:22 db:5432"],
    ),
    (
        "AddKeysToAgent",
        Needs::Any,
        &["yes", "no", "ask", "confirm", "confirm 5m", "1h"],
    ),
    // Paths that exist: ssh gives up on a missing one under
    // ExitOnForwardFailure.
    (
        "ForwardAgent",
        Needs::Any,
        &["yes", "no", "/dev/null", "/tmp"],
    ),
    ("ConnectTimeout", Needs::Any, &["0", "10", "1m", "none"]),
    ("TunnelDevice", Needs::Any, &["any", "0", "1:2", "any:3"]),
    (
        "ControlPersist",
        Needs::Any,
        &["yes", "no", "0", "10m", "1h5"],
    ),
    ("EscapeChar", Needs::Any, &["none", "~", "^A", "%"]),
    (
        "IPQoS",
        Needs::Any,
        &[
            "lowdelay",
            "throughput",
            "af21 cs1",
            "ef",
            "none",
            "16",
            "cs0 le",
            "EF AF11",
        ],
    ),
    (
        "RekeyLimit",
        Needs::Any,
        &["default", "1G", "512M 1h", "default none", "2g"],
    ),
    (
        "StreamLocalBindMask",
        Needs::Any,
        &["0177", "0", "077", "0777"],
    ),
    ("SyslogFacility", Needs::Any, &["AUTH", "user", "local3"]),
    (
        "ProxyCommand",
        Needs::Any,
        &["nc %h %p", "ssh -W %h:%p bastion", "none"],
    ),
    (
        "ProxyJump",
        Needs::Any,
        &[
            "bastion",
            "alice@bastion:2222",
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

/// An option line with a random valid value, of a keyword `version`
/// accepts, in one of the spellings ssh reads alike.
pub fn option_line(rng: &mut Rng, version: &Openssh) -> String {
    let (keyword, values) = loop {
        let (keyword, needs, values) = *rng.pick(VALUES);
        if needs.accepts(version) {
            break (keyword, values);
        }
    };
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
    let mut value = rng.pick(values).to_string();
    // The argument keywords read `"v"`, `'v'` and `v` alike.
    let raw_rest = matches!(
        keyword,
        "LocalCommand" | "RemoteCommand" | "KnownHostsCommand" | "ProxyCommand" | "ProxyJump"
    );
    if !raw_rest && !value.contains([' ', '"']) && rng.chance(15) {
        let q = if rng.chance(50) { '"' } else { '\'' };
        value = format!("{q}{value}{q}");
    }
    format!(
        "{indent}{}{}{value}{comment}",
        keyword_spelling(rng, keyword),
        separator(rng),
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

fn match_line(rng: &mut Rng, version: &Openssh) -> String {
    let user = current_user();
    let mut criteria: Vec<String> = vec![
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
    if Needs::V94.accepts(version) {
        criteria.extend(["tagged work".into(), "tagged prod,dev".into()]);
    }
    if (version.major(), version.minor()) >= (9, 9) {
        criteria.extend(["host=db*".into(), "user='alice'".into()]);
    }
    if version.major() >= 10 {
        criteria.extend([
            "sessiontype shell".into(),
            "sessiontype subsystem,none".into(),
            "version OpenSSH_10*".into(),
            "command \"\"".into(),
        ]);
    }
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

/// A configuration file for the differential test, of keywords `version`
/// accepts. `include` names files that `Include` lines may reference (given
/// as written in the config).
pub fn resolution_config(rng: &mut Rng, includes: &[String], version: &Openssh) -> String {
    let crlf = rng.chance(10);
    let mut out = String::new();
    let lines = 3 + rng.below(25);
    for i in 0..lines {
        let line = match rng.below(20) {
            0 if i > 0 => host_line(rng),
            1 | 2 => host_line(rng),
            3 => match_line(rng, version),
            4 => "# a comment".to_string(),
            5 => String::new(),
            6 if !includes.is_empty() => format!("Include {}", rng.pick(includes)),
            _ => option_line(rng, version),
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
    let version = Openssh::default();
    let mut out = Vec::new();
    let lines = rng.below(30);
    for _ in 0..lines {
        match rng.below(12) {
            0 => out.extend_from_slice(host_line(rng).as_bytes()),
            1 => out.extend_from_slice(match_line(rng, &version).as_bytes()),
            2 => out.extend_from_slice(b"  # comment \xff\xfe"),
            3 => {}
            4 => {
                for _ in 0..rng.below(40) {
                    out.push(rng.next() as u8);
                }
            }
            5 => out.extend_from_slice(b"Include \"~/x y\" '${HOME}/z' \"unterminated"),
            6 => out.extend_from_slice(b"\t \t"),
            _ => out.extend_from_slice(option_line(rng, &version).as_bytes()),
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
