//! Resolution of the options that apply to one host, as `ssh -G` prints them.
//!
//! Reading follows `process_config_line()` and `match_cfg_line()` of
//! OpenSSH's `readconf.c`; what `ssh -G` then prints follows
//! `fill_default_options()`, the checks and expansions in `ssh.c`'s
//! `main()` before `dump_client_config()`, and the patches Debian applies.
//! Every value ssh derives from other options, rather than reads, is made in
//! [`State::finish`], one documented derivation at a time (the crate's
//! README lists them).

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::config::expand_env;
use crate::error::{Error, ErrorKind};
use crate::lex::{self, Directive, LineKind};
use crate::pattern::{glob, match_hostname, match_pattern, match_pattern_list};
use crate::version::Openssh;

/// ssh's `READCONF_MAX_DEPTH`: how deep `Include` may nest.
const MAX_INCLUDE_DEPTH: usize = 16;

/// How an option's value is read and printed.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    /// `yes`/`no`/`true`/`false`, printed `yes`/`no`.
    Flag,
    /// Words from a fixed table (case-insensitive) and how each prints.
    Choice(&'static [(&'static str, &'static str)]),
    /// A non-negative integer.
    Int,
    /// A time interval, printed in seconds.
    Time,
    /// The first argument as written.
    Str,
    /// The first argument as written; `none` means unset.
    StrOrNone,
    /// The first argument, printed lower-cased.
    Lower,
    /// The first argument with `~`, `%` tokens and `${VAR}` expanded.
    Path,
    /// The rest of the line as written.
    Command,
    /// The rest of the line with `%` tokens expanded.
    ExpandedCommand,
    /// Handled by name.
    Special,
}

const FLAG_YESNOASK: &[(&str, &str)] = &[
    ("true", "true"),
    ("false", "false"),
    ("yes", "true"),
    ("no", "false"),
    ("ask", "ask"),
];

/// Every supported option in the order `ssh -G` prints them (OpenSSH's
/// `dump_client_config()`; options of newer releases where those print
/// them), with the keyword it prints.
const OPTIONS: &[(&str, Kind)] = &[
    ("user", Kind::Special),
    ("hostname", Kind::Special),
    ("port", Kind::Special),
    (
        "addressfamily",
        Kind::Choice(&[("inet", "inet"), ("inet6", "inet6"), ("any", "any")]),
    ),
    ("batchmode", Kind::Flag),
    ("checkhostip", Kind::Flag),
    // Only yes and no, unlike the other flags.
    ("compression", Kind::Choice(&[("yes", "yes"), ("no", "no")])),
    (
        "controlmaster",
        Kind::Choice(&[
            ("true", "true"),
            ("yes", "true"),
            ("false", "false"),
            ("no", "false"),
            ("auto", "auto"),
            ("ask", "ask"),
            ("autoask", "autoask"),
        ]),
    ),
    ("enablesshkeysign", Kind::Flag),
    ("clearallforwardings", Kind::Flag),
    ("exitonforwardfailure", Kind::Flag),
    (
        "fingerprinthash",
        Kind::Choice(&[
            ("md5", "MD5"),
            ("sha1", "SHA1"),
            ("sha256", "SHA256"),
            ("sha384", "SHA384"),
            ("sha512", "SHA512"),
        ]),
    ),
    ("forwardx11", Kind::Flag),
    ("forwardx11trusted", Kind::Flag),
    ("gatewayports", Kind::Flag),
    ("gssapiauthentication", Kind::Flag),
    ("gssapidelegatecredentials", Kind::Flag),
    ("hashknownhosts", Kind::Flag),
    ("hostbasedauthentication", Kind::Flag),
    ("identitiesonly", Kind::Flag),
    ("kbdinteractiveauthentication", Kind::Flag),
    ("nohostauthenticationforlocalhost", Kind::Flag),
    ("passwordauthentication", Kind::Flag),
    ("permitlocalcommand", Kind::Flag),
    ("proxyusefdpass", Kind::Flag),
    (
        "pubkeyauthentication",
        Kind::Choice(&[
            ("true", "true"),
            ("yes", "true"),
            ("false", "false"),
            ("no", "false"),
            ("unbound", "unbound"),
            ("host-bound", "host-bound"),
        ]),
    ),
    (
        "requesttty",
        Kind::Choice(&[
            ("true", "true"),
            ("yes", "true"),
            ("false", "false"),
            ("no", "false"),
            ("force", "force"),
            ("auto", "auto"),
        ]),
    ),
    (
        "sessiontype",
        Kind::Choice(&[
            ("none", "none"),
            ("subsystem", "subsystem"),
            ("default", "default"),
        ]),
    ),
    ("stdinnull", Kind::Flag),
    ("forkafterauthentication", Kind::Flag),
    ("streamlocalbindunlink", Kind::Flag),
    (
        "stricthostkeychecking",
        Kind::Choice(&[
            ("true", "true"),
            ("yes", "true"),
            ("false", "false"),
            ("no", "false"),
            ("off", "false"),
            ("ask", "ask"),
            ("accept-new", "accept-new"),
        ]),
    ),
    ("tcpkeepalive", Kind::Flag),
    (
        "tunnel",
        Kind::Choice(&[
            ("true", "point-to-point"),
            ("yes", "point-to-point"),
            ("point-to-point", "point-to-point"),
            ("ethernet", "ethernet"),
            ("false", "false"),
            ("no", "false"),
        ]),
    ),
    ("verifyhostkeydns", Kind::Choice(FLAG_YESNOASK)),
    ("visualhostkey", Kind::Flag),
    ("updatehostkeys", Kind::Choice(FLAG_YESNOASK)),
    ("enableescapecommandline", Kind::Flag),
    ("connectionattempts", Kind::Int),
    ("forwardx11timeout", Kind::Time),
    ("numberofpasswordprompts", Kind::Int),
    ("serveralivecountmax", Kind::Int),
    ("serveraliveinterval", Kind::Time),
    ("requiredrsasize", Kind::Int),
    ("obscurekeystroketiming", Kind::Special),
    ("bindaddress", Kind::Str),
    ("bindinterface", Kind::Str),
    ("controlpath", Kind::Path),
    ("hostkeyalias", Kind::Lower),
    ("identityagent", Kind::Path),
    ("ignoreunknown", Kind::Str),
    ("kbdinteractivedevices", Kind::Str),
    ("localcommand", Kind::Command),
    ("remotecommand", Kind::ExpandedCommand),
    ("loglevel", Kind::Special),
    ("pkcs11provider", Kind::StrOrNone),
    ("preferredauthentications", Kind::Str),
    ("xauthlocation", Kind::Str),
    ("knownhostscommand", Kind::Command),
    ("tag", Kind::Str),
    ("dynamicforward", Kind::Special),
    ("localforward", Kind::Special),
    ("remoteforward", Kind::Special),
    ("identityfile", Kind::Special),
    ("certificatefile", Kind::Special),
    ("globalknownhostsfile", Kind::Special),
    ("userknownhostsfile", Kind::Special),
    ("sendenv", Kind::Special),
    ("setenv", Kind::Special),
    ("logverbose", Kind::Special),
    ("permitremoteopen", Kind::Special),
    ("addkeystoagent", Kind::Special),
    ("forwardagent", Kind::Special),
    ("connecttimeout", Kind::Time),
    ("tunneldevice", Kind::Special),
    ("controlpersist", Kind::Special),
    ("escapechar", Kind::Special),
    ("ipqos", Kind::Special),
    ("rekeylimit", Kind::Special),
    ("streamlocalbindmask", Kind::Special),
    ("syslogfacility", Kind::Special),
    ("proxycommand", Kind::Command),
    ("proxyjump", Kind::Special),
];

/// Old spellings ssh still accepts.
const ALIASES: &[(&str, &str)] = &[
    (
        "challengeresponseauthentication",
        "kbdinteractiveauthentication",
    ),
    ("keepalive", "tcpkeepalive"),
    ("dsaauthentication", "pubkeyauthentication"),
];

/// The keywords [`Resolver`] understands, lower-case, in `ssh -G` order.
///
/// `tag` needs OpenSSH 9.4 and `obscurekeystroketiming` 9.5; a resolver
/// set to an older release ignores them, as that release rejects them.
pub fn supported_options() -> impl Iterator<Item = &'static str> {
    OPTIONS.iter().map(|(name, _)| *name)
}

/// The option a keyword names for `version`, with its kind.
pub(crate) fn lookup(keyword: &[u8], version: &Openssh) -> Option<(&'static str, Kind)> {
    let mut keyword = ALIASES
        .iter()
        .find(|(alias, _)| alias.as_bytes() == keyword)
        .map_or(keyword, |(_, name)| name.as_bytes());
    if version.is_debian() {
        // Debian's own compatibility spellings.
        keyword = match keyword {
            b"protocolkeepalives" => b"serveraliveinterval",
            b"setuptimeout" if version.setup_timeout_is_connect_timeout() => b"connecttimeout",
            b"setuptimeout" => b"serveraliveinterval",
            k => k,
        };
    }
    let found = OPTIONS
        .iter()
        .find(|(name, _)| name.as_bytes() == keyword)
        .copied()?;
    let available = match found.0 {
        "tag" => version.has_tag(),
        "obscurekeystroketiming" => version.has_obscure_keystroke_timing(),
        _ => true,
    };
    available.then_some(found)
}

/// Resolves the options a configuration gives a host, as `ssh -G` does.
///
/// The OpenSSH release to follow is a setting ([`Resolver::openssh`]);
/// the resolver never runs ssh to find it out (only `Match exec` runs
/// anything).
///
/// ```no_run
/// # fn main() -> Result<(), sshconfig::Error> {
/// use sshconfig::{Openssh, Resolver};
///
/// let resolved = Resolver::new()
///     .openssh("OpenSSH_9.2p1 Debian-2+deb12u10".parse()?)
///     .resolve("web-container")?;
/// if let Some(port) = resolved.get("port") {
///     println!("port {port}");
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Resolver {
    config: Option<PathBuf>,
    user: Option<String>,
    local_user: String,
    uid: u32,
    home: PathBuf,
    include_home: Option<PathBuf>,
    shell: PathBuf,
    hostname: String,
    openssh: Openssh,
}

impl Default for Resolver {
    fn default() -> Self {
        Resolver::new()
    }
}

impl Resolver {
    /// A resolver for the current user: the local user name, uid and home
    /// directory come from the password database (as ssh takes them), the
    /// configuration is `~/.ssh/config`, `Match exec` runs `$SHELL -c`, and
    /// the release followed is upstream OpenSSH 10.0 (set the one `ssh -V`
    /// names with [`Resolver::openssh`]).
    pub fn new() -> Resolver {
        let uid = nix::unistd::getuid();
        let user = nix::unistd::User::from_uid(uid).ok().flatten();
        let local_user = user
            .as_ref()
            .map(|u| u.name.clone())
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_default();
        let home = user
            .map(|u| u.dir)
            .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("/"));
        let hostname = nix::unistd::gethostname()
            .ok()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_default();
        Resolver {
            config: None,
            user: None,
            local_user,
            uid: uid.as_raw(),
            home,
            include_home: None,
            shell: std::env::var_os("SHELL")
                .filter(|s| !s.is_empty())
                .map_or_else(|| PathBuf::from("/bin/sh"), PathBuf::from),
            hostname,
            openssh: Openssh::default(),
        }
    }

    /// The OpenSSH release whose reading of the configuration to follow
    /// (what `ssh -V` names; see [`Openssh`]).
    pub fn openssh(mut self, version: Openssh) -> Resolver {
        self.openssh = version;
        self
    }

    /// Reads `path` instead of `~/.ssh/config` (like `ssh -F`); it must exist.
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Resolver {
        self.config = Some(path.into());
        self
    }

    /// The remote user given on the command line (like `ssh -l`): it wins
    /// over `User` and is printed.
    pub fn user(mut self, user: impl Into<String>) -> Resolver {
        self.user = Some(user.into());
        self
    }

    /// The local user name (`Match localuser`, `%u`).
    pub fn local_user(mut self, user: impl Into<String>) -> Resolver {
        self.local_user = user.into();
        self
    }

    /// The local user id (`%i`).
    pub fn uid(mut self, uid: u32) -> Resolver {
        self.uid = uid;
        self
    }

    /// The home directory ssh takes from the password database: `~` in
    /// values, `%d`, and the default configuration path.
    pub fn home(mut self, dir: impl Into<PathBuf>) -> Resolver {
        self.home = dir.into();
        self
    }

    /// The directory `~` means in `Include` (ssh globs with `GLOB_TILDE`,
    /// which reads `$HOME`); defaults to `$HOME`, else [`Resolver::home`].
    pub fn include_home(mut self, dir: impl Into<PathBuf>) -> Resolver {
        self.include_home = Some(dir.into());
        self
    }

    /// The shell that runs `Match exec` commands (`shell -c command`).
    pub fn shell(mut self, shell: impl Into<PathBuf>) -> Resolver {
        self.shell = shell.into();
        self
    }

    /// The local host name (`%l`, `%L`, `%C`).
    pub fn local_hostname(mut self, name: impl Into<String>) -> Resolver {
        self.hostname = name.into();
        self
    }

    /// Resolves `host` from the configuration file, which is read afresh.
    pub fn resolve(&self, host: &str) -> Result<Resolved, Error> {
        let (path, required) = match &self.config {
            Some(p) => (p.clone(), true),
            None => (self.home.join(".ssh/config"), false),
        };
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if !required && e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(Error::io(&path, "cannot read configuration file", e)),
        };
        self.resolve_bytes(host, &bytes)
    }

    /// Resolves `host` from configuration text already in memory (`Include`
    /// still reads files).
    pub fn resolve_bytes(&self, host: &str, config: &[u8]) -> Result<Resolved, Error> {
        let mut state = State::default();
        if let Some(user) = &self.user {
            state.single.insert("user", user.clone());
        }
        let mut pass = Pass {
            r: self,
            host_arg: host,
            host: host.to_string(),
            final_pass: false,
            want_final: false,
            state,
        };
        let mut active = true;
        pass.text(config, &mut active, false, 0)?;
        let hostname = canonical_host(&match pass.state.single.get("hostname") {
            Some(h) => percent_expand(h, &[('h', host)]),
            None => host.to_string(),
        });
        if pass.want_final {
            pass.final_pass = true;
            pass.host = hostname.clone();
            let configured = pass.state.single.insert("hostname", hostname.clone());
            let mut active = true;
            pass.text(config, &mut active, false, 0)?;
            match configured {
                Some(h) => pass.state.single.insert("hostname", h),
                None => pass.state.single.remove("hostname"),
            };
        }
        Ok(pass.state.finish(self, host, &hostname))
    }
}

/// The options a configuration sets for one host, in `ssh -G` order and
/// format: lower-case keywords, one entry per value.
///
/// An option is listed when the configuration sets it or sets one it is
/// derived from (`BatchMode` under Debian gives `serveraliveinterval`, for
/// example); every option not listed is at ssh's default. `Display` prints
/// them as `ssh -G` does, one `keyword value` line each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved {
    entries: Vec<(&'static str, String)>,
}

impl Resolved {
    /// All `(keyword, value)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.entries.iter().map(|(k, v)| (*k, v.as_str()))
    }

    /// The first value of `keyword` (lower-case).
    pub fn get(&self, keyword: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == keyword).map(|(_, v)| v)
    }

    /// Every value of `keyword` (lower-case), for the multi-valued options.
    pub fn get_all(&self, keyword: &str) -> Vec<&str> {
        self.iter()
            .filter(|(k, _)| *k == keyword)
            .map(|(_, v)| v)
            .collect()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the configuration sets nothing for the host.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl fmt::Display for Resolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, v) in &self.entries {
            writeln!(f, "{k} {v}")?;
        }
        Ok(())
    }
}

/// A port forwarding as ssh's `struct Forward` holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Forward {
    listen_host: Option<String>,
    listen: Endpoint,
    connect_host: Option<String>,
    connect: Endpoint,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Endpoint {
    Port(i64),
    Path(String),
}

/// A `ProxyJump` that applies: what `ssh -G` prints, and the host (`%j`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Jump {
    printed: String,
    host: String,
}

#[derive(Debug, Default)]
struct State {
    /// First-wins values, already in printed form (or raw where printing
    /// needs the final host name: paths and commands).
    single: HashMap<&'static str, String>,
    identity_files: Vec<String>,
    certificate_files: Vec<String>,
    local_forwards: Vec<Forward>,
    remote_forwards: Vec<Forward>,
    send_env: Vec<String>,
    set_env: Vec<String>,
    user_known_hosts: Option<Vec<String>>,
    global_known_hosts: Option<Vec<String>>,
    log_verbose: Option<Vec<String>>,
    permit_remote_open: Option<Vec<String>>,
    /// `ProxyJump`: `Some(None)` for `ProxyJump none`.
    jump: Option<Option<Jump>>,
    forward_agent_path: Option<String>,
    /// `ControlPersist` as (on, seconds).
    control_persist: Option<(bool, i64)>,
    /// `RekeyLimit`: the byte limit and the interval, each first-wins.
    rekey_limit: Option<i64>,
    rekey_interval: Option<i64>,
    /// `StreamLocalBindMask`, which the last line sets, in any block.
    stream_local_bind_mask: Option<u32>,
}

struct Pass<'a> {
    r: &'a Resolver,
    host_arg: &'a str,
    /// The name `Host` lines match: the argument in the first pass, the
    /// final host name in the final one.
    host: String,
    final_pass: bool,
    want_final: bool,
    state: State,
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The values `%` tokens stand for while a configuration is being read
/// (`Match exec`, and `Include` since 9.9).
struct ReadTokens {
    hash: String,
    short: String,
    home: String,
    host: String,
    keyalias: String,
    thishost: String,
    port: String,
    ruser: String,
    uid: String,
    jump: String,
}

impl Pass<'_> {
    fn text(
        &mut self,
        text: &[u8],
        active: &mut bool,
        never_match: bool,
        depth: usize,
    ) -> Result<(), Error> {
        for line in text.split(|&b| b == b'\n') {
            if let LineKind::Directive(d) = lex::classify(line) {
                self.directive(d, active, never_match, depth)?;
            }
        }
        Ok(())
    }

    fn directive(
        &mut self,
        d: Directive,
        active: &mut bool,
        never_match: bool,
        depth: usize,
    ) -> Result<(), Error> {
        match &d.keyword[..] {
            b"host" => {
                let Some(args) = lex::argv_split(&d.rest) else {
                    return Ok(());
                };
                *active = false;
                if never_match {
                    return Ok(());
                }
                for arg in args {
                    let (negated, pattern) = match arg.strip_prefix(b"!") {
                        Some(p) => (true, p),
                        None => (false, &arg[..]),
                    };
                    if match_pattern(self.host.as_bytes(), pattern) {
                        if negated {
                            *active = false;
                            break;
                        }
                        *active = true;
                    }
                }
            }
            b"match" => {
                let matched = if self.r.openssh.match_uses_argv() {
                    self.match_line_argv(&d.rest)?
                } else {
                    self.match_line(&d.rest)?
                };
                *active = !never_match && matched;
            }
            b"include" => {
                let Some(args) = lex::argv_split(&d.rest) else {
                    return Ok(());
                };
                for arg in args {
                    self.include(&arg, active, never_match, depth)?;
                }
            }
            _ if *active => self.option(&d),
            // ssh sets these without looking at whether the block applies.
            b"syslogfacility" | b"streamlocalbindmask" => self.option(&d),
            _ => {}
        }
        Ok(())
    }

    fn include(
        &mut self,
        arg: &[u8],
        active: &mut bool,
        never_match: bool,
        depth: usize,
    ) -> Result<(), Error> {
        if arg.is_empty() {
            return Ok(());
        }
        // Since 9.9 the path's `%` tokens and `${VAR}` are expanded first;
        // a path that cannot be expanded is skipped.
        let expanded;
        let arg = if self.r.openssh.expands_include() {
            let tokens = self.read_tokens();
            match dollar_percent_expand_strict(&lossy(arg), &tokens.list(self)) {
                Some(e) => {
                    expanded = e.into_bytes();
                    &expanded[..]
                }
                None => return Ok(()),
            }
        } else {
            arg
        };
        if arg.is_empty() {
            return Ok(());
        }
        let mut pattern = if arg[0] != b'/' && arg[0] != b'~' {
            let mut p = b"~/.ssh/".to_vec();
            p.extend_from_slice(arg);
            p
        } else {
            arg.to_vec()
        };
        if pattern[0] == b'~' {
            pattern = match self.glob_tilde(&pattern) {
                Some(p) => p,
                None => return Ok(()),
            };
        }
        let outer = *active;
        for path in glob(&pattern) {
            if depth + 1 > MAX_INCLUDE_DEPTH {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    Some(&path),
                    "too many nested includes at",
                ));
            }
            // Unreadable entries (a directory, a vanished file) add nothing.
            if let Ok(bytes) = fs::read(&path) {
                self.text(&bytes, active, never_match || !outer, depth + 1)?;
            }
            *active = outer;
        }
        Ok(())
    }

    /// `GLOB_TILDE`: `~` is `$HOME`, `~user` that user's home directory.
    fn glob_tilde(&self, pattern: &[u8]) -> Option<Vec<u8>> {
        let rest = &pattern[1..];
        let end = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
        let (name, tail) = rest.split_at(end);
        let home: PathBuf = if name.is_empty() {
            match &self.r.include_home {
                Some(h) => h.clone(),
                None => std::env::var_os("HOME")
                    .filter(|h| !h.is_empty())
                    .map_or_else(|| self.r.home.clone(), PathBuf::from),
            }
        } else {
            let name = std::str::from_utf8(name).ok()?;
            nix::unistd::User::from_name(name).ok()??.dir
        };
        let mut out = home.as_os_str().as_bytes().to_vec();
        out.extend_from_slice(tail);
        Some(out)
    }

    /// The host name `Match` and `%h` see while reading: the final host
    /// name in the final pass, else `HostName` (with `%h`) or the argument.
    fn reading_host(&self) -> String {
        let st = &self.state.single;
        if self.final_pass {
            st.get("hostname").cloned().unwrap_or_default()
        } else {
            match st.get("hostname") {
                Some(h) => percent_expand(h, &[('h', self.host_arg)]),
                None => self.host_arg.to_string(),
            }
        }
    }

    fn read_tokens(&self) -> ReadTokens {
        let st = &self.state.single;
        let port = st.get("port").cloned().unwrap_or_else(|| "22".to_string());
        let ruser = st
            .get("user")
            .cloned()
            .unwrap_or_else(|| self.r.local_user.clone());
        let host = self.reading_host();
        let thishost = self.r.hostname.clone();
        let short = thishost.split('.').next().unwrap_or("").to_string();
        let jump = match &self.state.jump {
            Some(Some(j)) => j.host.clone(),
            _ => String::new(),
        };
        let hash = connection_hash(&self.r.openssh, &thishost, &host, &port, &ruser, &jump);
        let keyalias = st.get("hostkeyalias").cloned().unwrap_or(host.clone());
        ReadTokens {
            hash,
            short,
            home: self.r.home.to_string_lossy().into_owned(),
            host,
            keyalias,
            thishost,
            port,
            ruser,
            uid: self.r.uid.to_string(),
            jump,
        }
    }

    /// Port of `match_cfg_line()` up to 9.8, which splits with `strdelim`.
    /// A malformed line matches nothing.
    fn match_line(&mut self, rest: &[u8]) -> Result<bool, Error> {
        let mut cur = Some(rest);
        let mut words = Vec::new();
        while let Some(word) = lex::strdelim(&mut cur) {
            if word.is_empty() {
                break;
            }
            words.push(word);
            if cur.is_none() {
                break;
            }
        }
        self.match_words(words, false)
    }

    /// Port of `match_cfg_line()` since 9.9: the arguments as `argv_split`
    /// gives them, `attribute=value` accepted.
    fn match_line_argv(&mut self, rest: &[u8]) -> Result<bool, Error> {
        let Some(words) = lex::argv_split(rest) else {
            return Ok(false);
        };
        self.match_words(words, true)
    }

    fn match_words(&mut self, words: Vec<Vec<u8>>, argv: bool) -> Result<bool, Error> {
        let version = self.r.openssh.clone();
        let mut words = words.into_iter();
        let mut result = true;
        let mut attributes = 0;
        while let Some(oattrib) = words.next() {
            if oattrib.first() == Some(&b'#') {
                break;
            }
            let (negate, attrib) = match oattrib.strip_prefix(b"!") {
                Some(a) => (true, a.to_vec()),
                None => (false, oattrib.clone()),
            };
            let lower = attrib.to_ascii_lowercase();
            if lower == b"all" {
                let next = words.next();
                if attributes > 1 || next.as_ref().is_some_and(|n| !n.is_empty() && n[0] != b'#') {
                    return Ok(false);
                }
                return Ok(result && !negate);
            }
            attributes += 1;
            if lower == b"canonical" || lower == b"final" {
                // Since 10.1 only `final` without `!` asks for the final pass.
                if lower == b"final" && !(negate && version.at_least(10, 1)) {
                    self.want_final = true;
                }
                if self.final_pass == negate {
                    result = false;
                }
                continue;
            }
            const WITH_EQUALS: &[&[u8]] = &[
                b"host",
                b"originalhost",
                b"user",
                b"localuser",
                b"localnetwork",
                b"version",
                b"tagged",
                b"command",
                b"exec",
            ];
            let (name, arg) = match lower.iter().position(|&b| b == b'=') {
                Some(eq) if argv && WITH_EQUALS.contains(&&lower[..eq]) => {
                    (lower[..eq].to_vec(), attrib[eq + 1..].to_vec())
                }
                _ => match words.next() {
                    Some(a) => (lower.clone(), a),
                    None => return Ok(false),
                },
            };
            let empty_allowed = argv && (name == b"tagged" || name == b"command");
            if (arg.is_empty() && !empty_allowed) || arg.first() == Some(&b'#') {
                return Ok(false);
            }
            let tokens = self.read_tokens();
            let st = &self.state.single;
            let r = match &name[..] {
                b"host" => match_hostname(tokens.host.as_bytes(), &arg),
                b"originalhost" => match_hostname(self.host_arg.as_bytes(), &arg),
                b"user" => match_pattern_list(tokens.ruser.as_bytes(), &arg, false) == 1,
                b"localuser" => match_pattern_list(self.r.local_user.as_bytes(), &arg, false) == 1,
                b"tagged" if version.has_tag() => {
                    let tag = st.get("tag").map(String::as_str).unwrap_or("");
                    if tag.is_empty() {
                        arg.is_empty()
                    } else {
                        match_pattern_list(tag.as_bytes(), &arg, false) == 1
                    }
                }
                // ssh -G runs no command.
                b"command" if version.has_match_command() => arg.is_empty(),
                b"sessiontype" if version.has_match_command() => {
                    let kind = match st.get("sessiontype").map(String::as_str) {
                        Some("subsystem") => "subsystem",
                        Some("none") => "none",
                        _ => "shell",
                    };
                    match_pattern_list(kind.as_bytes(), &arg, false) == 1
                }
                b"version" if version.has_match_command() => {
                    match_pattern_list(version.release().as_bytes(), &arg, false) == 1
                }
                b"exec" => {
                    if !result {
                        continue;
                    }
                    let cmd = percent_expand(&lossy(&arg), &tokens.list(self));
                    self.exec(&cmd)?
                }
                _ => return Ok(false),
            };
            if r == negate {
                result = false;
            }
        }
        Ok(attributes > 0 && result)
    }

    fn exec(&self, cmd: &str) -> Result<bool, Error> {
        let status = Command::new(&self.r.shell)
            .arg("-c")
            .arg(cmd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| Error::io(&self.r.shell, "cannot run Match exec with", e))?;
        Ok(status.success())
    }

    /// Applies one option line of an active block.
    fn option(&mut self, d: &Directive) {
        let Some((name, kind)) = lookup(&d.keyword, &self.r.openssh) else {
            return;
        };
        // The command options take the raw rest of the line.
        if matches!(kind, Kind::Command | Kind::ExpandedCommand) {
            let skip = d
                .rest
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'='))
                .count();
            let value = lossy(&d.rest[skip..]);
            let blocked = match &self.state.jump {
                Some(Some(_)) => true,
                Some(None) => self.r.openssh.jump_none_blocks_proxy_command(),
                None => false,
            };
            if name == "proxycommand" && blocked {
                return;
            }
            self.set(name, value);
            return;
        }
        if name == "proxyjump" {
            self.proxy_jump(&d.rest);
            return;
        }
        let Some(args) = lex::argv_split(&d.rest) else {
            return;
        };
        let Some(first) = args.first() else {
            return;
        };
        let first_s = lossy(first);
        match kind {
            Kind::Flag => {
                if let Some(v) = flag(&first_s) {
                    self.set(name, v.to_string());
                }
            }
            Kind::Choice(table) => {
                if let Some((_, v)) = table.iter().find(|(k, _)| k.eq_ignore_ascii_case(&first_s)) {
                    self.set(name, v.to_string());
                }
            }
            Kind::Int => {
                if let Some(v) = strtonum(&first_s, 0, i32::MAX as i64) {
                    self.set(name, v.to_string());
                }
            }
            Kind::Time => {
                // `none` is the unset value, which a later line may still set.
                if let Some(v) = convtime(&first_s) {
                    self.set(name, v.to_string());
                }
            }
            Kind::Str | Kind::StrOrNone | Kind::Path | Kind::Lower => {
                if !first.is_empty() {
                    self.set(name, first_s);
                }
            }
            Kind::Command | Kind::ExpandedCommand => {}
            Kind::Special => self.special(name, &args),
        }
    }

    fn set(&mut self, name: &'static str, value: String) {
        self.state.single.entry(name).or_insert(value);
    }

    fn special(&mut self, name: &'static str, args: &[Vec<u8>]) {
        let first = lossy(&args[0]);
        let version = self.r.openssh.clone();
        let st = &mut self.state;
        match name {
            "user" | "hostname" if !first.is_empty() => {
                st.single.entry(name).or_insert(first);
            }
            "port" => {
                if let Some(p) = strtonum(&first, 1, 65535) {
                    st.single.entry(name).or_insert(p.to_string());
                }
            }
            "loglevel" => {
                let level = match first.to_ascii_uppercase().as_str() {
                    // Debian's builds call the quiet level SILENT.
                    "QUIET" | "SILENT" if version.is_debian() => "SILENT",
                    "QUIET" => "QUIET",
                    "FATAL" => "FATAL",
                    "ERROR" => "ERROR",
                    "INFO" => "INFO",
                    "VERBOSE" => "VERBOSE",
                    "DEBUG" | "DEBUG1" => "DEBUG",
                    "DEBUG2" => "DEBUG2",
                    "DEBUG3" => "DEBUG3",
                    _ => return,
                };
                st.single.entry(name).or_insert(level.to_string());
            }
            "syslogfacility" => {
                let upper = first.to_ascii_uppercase();
                let known = matches!(upper.as_str(), "DAEMON" | "USER" | "AUTH" | "AUTHPRIV")
                    || (upper.len() == 6
                        && upper.starts_with("LOCAL")
                        && matches!(upper.as_bytes()[5], b'0'..=b'7'));
                if known {
                    st.single.entry(name).or_insert(upper);
                }
            }
            "escapechar" => {
                let b = &args[0];
                let value = if b == b"none" {
                    "none".to_string()
                } else if b.len() == 1 {
                    vis(b[0])
                } else if b.len() == 2 && b[0] == b'^' && (64..128).contains(&b[1]) {
                    vis(b[1] & 31)
                } else {
                    return;
                };
                st.single.entry(name).or_insert(value);
            }
            "controlpersist" => {
                let value = match first.as_str() {
                    "no" | "false" => (false, 0),
                    "yes" | "true" => (true, 0),
                    t => match convtime(t) {
                        Some(s) => (true, s),
                        None => return,
                    },
                };
                st.control_persist.get_or_insert(value);
            }
            "addkeystoagent" => {
                let choice = match first.to_ascii_lowercase().as_str() {
                    "yes" | "true" => Some("true"),
                    "no" | "false" => Some("false"),
                    "ask" => Some("ask"),
                    "confirm" => Some("confirm"),
                    _ => None,
                };
                let value = match choice {
                    Some("confirm") if args.len() > 1 => match convtime(&lossy(&args[1])) {
                        Some(0) => "confirm".to_string(),
                        Some(t) => format!("confirm {t}"),
                        None => return,
                    },
                    Some(_) if args.len() > 1 => return,
                    Some(c) => c.to_string(),
                    None if args.len() > 1 => return,
                    None => match convtime(&first) {
                        Some(0) => "true".to_string(),
                        Some(t) => t.to_string(),
                        None => return,
                    },
                };
                st.single.entry(name).or_insert(value);
            }
            "forwardagent" => match flag(&first) {
                Some(v) => {
                    st.single.entry(name).or_insert(v.to_string());
                }
                None => {
                    st.single.entry(name).or_insert("yes".to_string());
                    if st.forward_agent_path.is_none() {
                        st.forward_agent_path = Some(first);
                    }
                }
            },
            "identityfile" if !st.identity_files.contains(&first) => {
                st.identity_files.push(first);
            }
            "certificatefile" if !st.certificate_files.contains(&first) => {
                st.certificate_files.push(first);
            }
            "userknownhostsfile" | "globalknownhostsfile" | "permitremoteopen" => {
                let slot = match name {
                    "userknownhostsfile" => &mut st.user_known_hosts,
                    "globalknownhostsfile" => &mut st.global_known_hosts,
                    _ => &mut st.permit_remote_open,
                };
                if slot.is_none() {
                    *slot = Some(args.iter().map(|a| lossy(a)).collect());
                }
            }
            // ssh keeps only the first argument of LogVerbose (it checks
            // "nothing set yet" for each argument).
            "logverbose" => {
                st.log_verbose.get_or_insert_with(|| vec![first]);
            }
            "sendenv" => {
                for arg in args {
                    if arg.is_empty() || arg.contains(&b'=') {
                        continue;
                    }
                    let arg = lossy(arg);
                    if let Some(pattern) = arg.strip_prefix('-') {
                        st.send_env
                            .retain(|v| !match_pattern(v.as_bytes(), pattern.as_bytes()));
                    } else {
                        st.send_env.push(arg);
                    }
                }
            }
            "setenv" => {
                // Only the first SetEnv line that applies counts.
                if !st.set_env.is_empty() {
                    return;
                }
                for arg in args {
                    let arg = lossy(arg);
                    let Some((var, _)) = arg.split_once('=') else {
                        continue;
                    };
                    let var = var.to_string();
                    if !st
                        .set_env
                        .iter()
                        .any(|e| e.split_once('=').is_some_and(|(v, _)| v == var))
                    {
                        st.set_env.push(arg);
                    }
                }
            }
            "localforward" | "remoteforward" | "dynamicforward" => {
                let remote = name == "remoteforward";
                let mut dynamic = name == "dynamicforward";
                let spec = if dynamic {
                    first
                } else {
                    match args.get(1).filter(|a| !a.is_empty()) {
                        Some(second) => format!("{first}:{}", lossy(second)),
                        None if remote => {
                            dynamic = true;
                            first
                        }
                        None => return,
                    }
                };
                let Some(fwd) = parse_forward(&spec, dynamic, remote) else {
                    return;
                };
                let list = if remote {
                    &mut st.remote_forwards
                } else {
                    &mut st.local_forwards
                };
                if !list.contains(&fwd) {
                    list.push(fwd);
                }
            }
            "obscurekeystroketiming" => {
                let value = match first.as_str() {
                    "yes" | "true" => "yes".to_string(),
                    "no" | "false" => "no".to_string(),
                    t => match t
                        .strip_prefix("interval:")
                        .and_then(|n| strtonum(n, 1, 1000))
                    {
                        Some(20) => "yes".to_string(),
                        Some(n) => n.to_string(),
                        None => return,
                    },
                };
                if args.len() == 1 {
                    st.single.entry(name).or_insert(value);
                }
            }
            "tunneldevice" => {
                let Some(value) = parse_tunnel_device(&first) else {
                    return;
                };
                st.single.entry(name).or_insert(value);
            }
            "ipqos" => {
                let tos = |s: &str| parse_ipqos(s, &version);
                let Some(interactive) = tos(&first) else {
                    return;
                };
                let bulk = match args.get(1) {
                    Some(b) => match tos(&lossy(b)) {
                        Some(v) => v,
                        None => return,
                    },
                    None => interactive,
                };
                let value = format!(
                    "{} {}",
                    iptos_name(interactive, &version),
                    iptos_name(bulk, &version)
                );
                st.single.entry(name).or_insert(value);
            }
            "rekeylimit" => {
                let limit = if first == "default" {
                    0
                } else {
                    match scan_scaled(&first) {
                        Some(v) if v == 0 || v >= 16 => v,
                        _ => return,
                    }
                };
                let interval = match args.get(1).map(|a| lossy(a)) {
                    Some(i) if i == "none" => None,
                    Some(i) => match convtime(&i) {
                        Some(t) => Some(t),
                        None => return,
                    },
                    None => None,
                };
                st.rekey_limit.get_or_insert(limit);
                if let Some(t) = interval {
                    st.rekey_interval.get_or_insert(t);
                }
            }
            "streamlocalbindmask" => {
                if let Some(mask) = parse_octal_mask(&first) {
                    st.stream_local_bind_mask = Some(mask);
                }
            }
            _ => {}
        }
    }

    /// Port of `parse_jump()`; `ProxyJump` and `ProxyCommand` compete, the
    /// first one seen wins.
    fn proxy_jump(&mut self, rest: &[u8]) {
        let skip = rest
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'='))
            .count();
        let s = lossy(&rest[skip..]);
        if s.eq_ignore_ascii_case("none") {
            if self.state.jump.is_none() {
                self.state.jump = Some(None);
            }
            return;
        }
        if self.state.jump.is_some() || self.state.single.contains_key("proxycommand") {
            return;
        }
        let spec = s.split('#').next().unwrap_or("").trim_end();
        let last = spec.rsplit(',').next().unwrap_or("");
        if spec
            .split(',')
            .any(|hop| parse_user_host_port(hop).is_none())
        {
            return;
        }
        let Some((user, host, port)) = parse_user_host_port(last) else {
            return;
        };
        let extra = match spec.rfind(',') {
            Some(i) if i > 0 => format!("{},", &spec[..i]),
            _ => String::new(),
        };
        let numeric = host.contains(':') || host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        let mut out = extra;
        if let Some(u) = user {
            out.push_str(&u);
            out.push('@');
        }
        if numeric {
            out.push_str(&format!("[{host}]"));
        } else {
            out.push_str(&host);
        }
        if let Some(p) = port {
            out.push_str(&format!(":{p}"));
        }
        self.state.jump = Some(Some(Jump { printed: out, host }));
    }
}

impl ReadTokens {
    /// The `%` tokens of `Match exec` (and of `Include` since 9.9).
    fn list<'a>(&'a self, pass: &'a Pass<'_>) -> Vec<(char, &'a str)> {
        let mut list = vec![
            ('C', self.hash.as_str()),
            ('L', &self.short),
            ('d', &self.home),
            ('h', &self.host),
            ('k', &self.keyalias),
            ('l', &self.thishost),
            ('n', pass.host_arg),
            ('p', &self.port),
            ('r', &self.ruser),
            ('u', &pass.r.local_user),
            ('i', &self.uid),
        ];
        if pass.r.openssh.has_jump_token() {
            list.push(('j', &self.jump));
        }
        list
    }
}

/// `ssh_connection_hash()`: the `%C` of a connection. Since 9.6 the
/// `ProxyJump` host is part of it.
fn connection_hash(
    version: &Openssh,
    thishost: &str,
    host: &str,
    port: &str,
    user: &str,
    jump: &str,
) -> String {
    let jump = if version.has_jump_token() { jump } else { "" };
    crate::sha1::hex(format!("{thishost}{host}{port}{user}{jump}").as_bytes())
}

/// What ssh makes of the host name before using it: a numeric IPv4 address
/// in any `inet_aton()` spelling becomes dotted quad, an IPv6 address stays
/// as written, and any other name is lower-cased (unless it holds a `%`,
/// which ssh's address check lets through unchanged).
pub(crate) fn canonical_host(name: &str) -> String {
    if let Some(addr) = inet_aton(name) {
        return addr.to_string();
    }
    if let Ok(addr) = name.parse::<std::net::Ipv6Addr>() {
        let canonical = addr.to_string();
        return if canonical.eq_ignore_ascii_case(name) {
            name.to_string()
        } else {
            canonical
        };
    }
    if name.contains('%') {
        return name.to_string();
    }
    name.to_ascii_lowercase()
}

/// `inet_aton()`: one to four parts, each decimal, octal (`0`) or hex (`0x`).
fn inet_aton(s: &str) -> Option<std::net::Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut values = Vec::with_capacity(4);
    for part in &parts {
        let (digits, radix) =
            if let Some(h) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
                (h, 16)
            } else if part.len() > 1 && part.starts_with('0') {
                (&part[1..], 8)
            } else {
                (*part, 10)
            };
        if part.is_empty() || (digits.is_empty() && radix != 16) {
            return None;
        }
        let v = if digits.is_empty() {
            0
        } else {
            u64::from_str_radix(digits, radix).ok()?
        };
        values.push(v);
    }
    let last = *values.last()?;
    let head = &values[..values.len() - 1];
    if head.iter().any(|&v| v > 255) {
        return None;
    }
    let max_last = [u32::MAX as u64, 0xFF_FFFF, 0xFFFF, 0xFF][head.len()];
    if last > max_last {
        return None;
    }
    let mut addr: u64 = 0;
    for (i, &v) in head.iter().enumerate() {
        addr |= v << (24 - 8 * i);
    }
    Some(std::net::Ipv4Addr::from((addr | last) as u32))
}

/// `parse_user_host_port()` without `ssh://` URIs.
fn parse_user_host_port(s: &str) -> Option<(Option<String>, String, Option<i64>)> {
    let (user, rest) = match s.rfind('@') {
        Some(i) => {
            if i == 0 {
                return None;
            }
            (Some(s[..i].to_string()), &s[i + 1..])
        }
        None => (None, s),
    };
    let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
        let close = inner.find(']')?;
        let after = &inner[close + 1..];
        let port = match after.strip_prefix(':').or_else(|| after.strip_prefix('/')) {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return None,
        };
        (inner[..close].to_string(), port)
    } else {
        match rest.find([':', '/']) {
            Some(i) => (rest[..i].to_string(), Some(&rest[i + 1..])),
            None => (rest.to_string(), None),
        }
    };
    if host.is_empty() {
        return None;
    }
    let port = match port {
        Some(p) if !p.is_empty() => Some(strtonum(p, 1, 65535)?),
        _ => None,
    };
    Some((user, host, port))
}

impl State {
    /// Everything `ssh -G` prints that the configuration decides: the
    /// values it set, and the values ssh derives from them. Each derivation
    /// is one step below, in the order ssh takes them.
    fn finish(self, r: &Resolver, host_arg: &str, hostname: &str) -> Resolved {
        let version = &r.openssh;
        let mut single = self.single.clone();
        let from_config = |k: &str| self.single.contains_key(k);
        let debian = version.is_debian();

        // fill_default_options(), Debian: BatchMode gives a five-minute
        // keep-alive unless ServerAliveInterval is set.
        if debian && !from_config("serveraliveinterval") {
            if let Some(batch) = single.get("batchmode") {
                let interval = if batch == "yes" { "300" } else { "0" };
                single.insert("serveraliveinterval", interval.to_string());
            }
        }
        // fill_default_options(): without UpdateHostKeys, ssh updates host
        // keys only when VerifyHostKeyDNS is off and the user's known-hosts
        // file is the default one (written exactly `~/.ssh/known_hosts`, or
        // unset).
        if !from_config("updatehostkeys")
            && (from_config("verifyhostkeydns") || self.user_known_hosts.is_some())
        {
            let dns = single.get("verifyhostkeydns").map(String::as_str);
            let default_file = match &self.user_known_hosts {
                None => true,
                Some(files) => files.len() == 1 && files[0] == "~/.ssh/known_hosts",
            };
            let update = matches!(dns, None | Some("false")) && default_file;
            single.insert("updatehostkeys", update.to_string());
        }
        // ClearAllForwardings drops every forwarding and the tunnel.
        let clear_forwards = single.get("clearallforwardings").map(String::as_str) == Some("yes");
        if clear_forwards && single.contains_key("tunnel") {
            single.insert("tunnel", "false".to_string());
        }
        // `none` clears these commands and paths; ProxyJump none sets no
        // jump host.
        for name in [
            "controlpath",
            "localcommand",
            "remotecommand",
            "knownhostscommand",
            "proxycommand",
            "pkcs11provider",
        ] {
            if single
                .get(name)
                .is_some_and(|v| v.eq_ignore_ascii_case("none"))
            {
                single.remove(name);
            }
        }
        let jump = match &self.jump {
            Some(Some(j)) => Some(j.clone()),
            _ => None,
        };
        // ssh.c: a jump host replaces any ProxyCommand and never passes
        // file descriptors.
        if jump.is_some() {
            single.remove("proxycommand");
            if single.contains_key("proxyusefdpass") {
                single.insert("proxyusefdpass", "no".to_string());
            }
        }
        // ssh.c: UpdateHostKeys=ask is turned off where ssh could not ask:
        // with ControlPersist and a ControlPath, with a command, without a
        // terminal, or when ssh would not print the question.
        if single.get("updatehostkeys").map(String::as_str) == Some("ask") {
            let persist = matches!(self.control_persist, Some((true, _)))
                && single.contains_key("controlpath");
            let no_tty = single.get("requesttty").map(String::as_str) == Some("false");
            let quiet = matches!(
                single.get("loglevel").map(String::as_str),
                Some("SILENT" | "QUIET" | "FATAL" | "ERROR")
            );
            if persist || single.contains_key("remotecommand") || no_tty || quiet {
                single.insert("updatehostkeys", "false".to_string());
            }
        }

        // The `%` tokens of the connection (ssh.c's `cinfo`).
        let port = single
            .get("port")
            .cloned()
            .unwrap_or_else(|| "22".to_string());
        let keyalias = single
            .get("hostkeyalias")
            .map(|a| a.to_ascii_lowercase())
            .unwrap_or_else(|| host_arg.to_string());
        let thishost = r.hostname.clone();
        let short = thishost.split('.').next().unwrap_or("").to_string();
        let home = r.home.to_string_lossy().into_owned();
        let uid = r.uid.to_string();
        let jump_host = match (&jump, version.has_jump_token()) {
            (Some(j), true) => j.host.clone(),
            _ => String::new(),
        };
        let mut tokens: Vec<(char, &str)> = vec![
            ('L', &short),
            ('i', &uid),
            ('k', &keyalias),
            ('l', &thishost),
            ('n', host_arg),
            ('p', &port),
            ('d', &home),
            ('h', hostname),
            ('u', &r.local_user),
        ];
        if version.has_jump_token() {
            tokens.push(('j', &jump_host));
        }
        // Since 10.0 a User from the configuration has its `%` tokens (all
        // but %r and %C) and `${VAR}` expanded.
        let configured_user = single.get("user").filter(|_| r.user.is_none()).cloned();
        let user = match configured_user {
            Some(u) if version.expands_user_and_setenv() => {
                let expanded = dollar_percent_expand(&u, &tokens);
                single.insert("user", expanded.clone());
                expanded
            }
            Some(u) => u,
            None => single
                .get("user")
                .cloned()
                .unwrap_or_else(|| r.local_user.clone()),
        };
        let hash = connection_hash(version, &thishost, hostname, &port, &user, &jump_host);
        tokens.push(('C', &hash));
        tokens.push(('r', &user));
        let tokens = tokens;
        let path = |v: &str| dollar_percent_expand(&tilde_expand(v, &r.home), &tokens);
        let forward_paths = |f: &Forward| {
            let mut f = f.clone();
            if let Endpoint::Path(p) = &f.listen {
                f.listen = Endpoint::Path(percent_expand(p, &tokens));
            }
            if let Endpoint::Path(p) = &f.connect {
                f.connect = Endpoint::Path(percent_expand(p, &tokens));
            }
            f
        };
        // Since 10.0 the values of SetEnv have their `%` tokens and `${VAR}`
        // expanded.
        let set_env: Vec<String> = self
            .set_env
            .iter()
            .map(|e| match e.split_once('=') {
                Some((name, value)) if version.expands_user_and_setenv() => {
                    format!("{name}={}", dollar_percent_expand(value, &tokens))
                }
                _ => e.clone(),
            })
            .collect();

        let mut out: Vec<(&'static str, String)> = Vec::new();
        for &(name, kind) in OPTIONS {
            let value = single.get(name);
            match name {
                "hostname" => {
                    if value.is_some() {
                        out.push((name, hostname.to_string()));
                    }
                }
                "dynamicforward" | "localforward" if !clear_forwards => {
                    for f in &self.local_forwards {
                        let socks = f.connect_host.as_deref() == Some("socks");
                        let is_dynamic = f.connect_host.is_none() || socks;
                        if (name == "dynamicforward" && is_dynamic)
                            || (name == "localforward" && !socks)
                        {
                            out.push((
                                name,
                                format_forward(&forward_paths(f), name != "dynamicforward"),
                            ));
                        }
                    }
                }
                "remoteforward" if !clear_forwards => {
                    for f in &self.remote_forwards {
                        out.push((name, format_forward(&forward_paths(f), true)));
                    }
                }
                "identityfile" => {
                    out.extend(self.identity_files.iter().map(|v| (name, v.clone())));
                }
                "certificatefile" => {
                    out.extend(self.certificate_files.iter().map(|v| (name, v.clone())));
                }
                "userknownhostsfile" => {
                    if let Some(files) = &self.user_known_hosts {
                        let files: Vec<String> =
                            if files.len() == 1 && files[0].eq_ignore_ascii_case("none") {
                                // `none` stands alone and prints as no file.
                                vec!["none".to_string()]
                            } else {
                                files.iter().map(|f| path(f)).collect()
                            };
                        out.push((name, files.join(" ")));
                    }
                }
                "globalknownhostsfile" | "logverbose" | "permitremoteopen" => {
                    let list = match name {
                        "globalknownhostsfile" => &self.global_known_hosts,
                        "logverbose" => &self.log_verbose,
                        _ => &self.permit_remote_open,
                    };
                    if let Some(files) = list {
                        let none = files.len() == 1 && files[0].eq_ignore_ascii_case("none");
                        let text = if none && name != "permitremoteopen" {
                            "none".to_string()
                        } else {
                            files.join(" ")
                        };
                        out.push((name, text));
                    }
                }
                "sendenv" => out.extend(self.send_env.iter().map(|v| (name, v.clone()))),
                "setenv" => out.extend(set_env.iter().map(|v| (name, v.clone()))),
                "forwardagent" => {
                    if let Some(p) = &self.forward_agent_path {
                        out.push((name, path(p)));
                    } else if let Some(v) = value {
                        out.push((name, v.clone()));
                    }
                }
                "controlpersist" => {
                    if let Some((on, seconds)) = self.control_persist {
                        let v = match (on, seconds) {
                            (false, _) => "no".to_string(),
                            (true, 0) => "yes".to_string(),
                            (true, s) => s.to_string(),
                        };
                        out.push((name, v));
                    }
                }
                "rekeylimit" => {
                    if let Some(limit) = self.rekey_limit {
                        out.push((
                            name,
                            format!("{limit} {}", self.rekey_interval.unwrap_or(0)),
                        ));
                    }
                }
                "streamlocalbindmask" => {
                    if let Some(mask) = self.stream_local_bind_mask {
                        out.push((name, format!("0{mask:o}")));
                    }
                }
                "proxyjump" => {
                    if let Some(j) = &jump {
                        out.push((name, j.printed.clone()));
                    }
                }
                _ => {
                    let Some(v) = value else { continue };
                    let value = match kind {
                        Kind::Path => path(v),
                        Kind::Lower => v.to_ascii_lowercase(),
                        Kind::ExpandedCommand => percent_expand(v, &tokens),
                        _ => v.clone(),
                    };
                    out.push((name, value));
                }
            }
        }
        Resolved { entries: out }
    }
}

fn format_forward(f: &Forward, with_connect: bool) -> String {
    let side = |host: &Option<String>, ep: &Endpoint| match (ep, host) {
        (Endpoint::Path(p), _) => p.clone(),
        (Endpoint::Port(p), None) => p.to_string(),
        (Endpoint::Port(p), Some(h)) => format!("[{h}]:{p}"),
    };
    let mut s = side(&f.listen_host, &f.listen);
    if with_connect {
        s.push(' ');
        s.push_str(&side(&f.connect_host, &f.connect));
    }
    s
}

/// One field of a forwarding spec: its text and whether it is a path.
fn parse_fwd_field(s: &mut Option<String>) -> Option<(String, bool)> {
    let cur = s.take()?;
    if cur.is_empty() {
        return None;
    }
    if let Some(inner) = cur.strip_prefix('[') {
        let close = inner.find(']')?;
        let after = &inner[close + 1..];
        let field = inner[..close].to_string();
        let ispath = field.contains('/');
        if after.is_empty() {
            *s = Some(String::new());
        } else if let Some(rest) = after.strip_prefix(':') {
            *s = Some(rest.to_string());
        } else {
            return None;
        }
        return Some((field, ispath));
    }
    let mut field = String::new();
    let mut ispath = false;
    let mut chars = cur.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, n)) => {
                    if n == '/' {
                        ispath = true;
                    }
                    if n == ':' {
                        *s = Some(cur[i + 2..].to_string());
                        return Some((field, ispath));
                    }
                    field.push(n);
                }
                None => return None,
            },
            '/' => {
                ispath = true;
                field.push(c);
            }
            ':' => {
                *s = Some(cur[i + 1..].to_string());
                return Some((field, ispath));
            }
            _ => field.push(c),
        }
    }
    *s = Some(String::new());
    Some((field, ispath))
}

/// Port of `parse_forward()`.
fn parse_forward(spec: &str, dynamic: bool, remote: bool) -> Option<Forward> {
    let expanded = String::from_utf8_lossy(&expand_env(spec.as_bytes())?).into_owned();
    let mut cur = Some(expanded.trim_start().to_string());
    let mut fields = Vec::new();
    while fields.len() < 4 {
        match parse_fwd_field(&mut cur) {
            Some(f) => fields.push(f),
            None => break,
        }
    }
    if cur.as_deref().is_some_and(|c| !c.is_empty()) {
        return None;
    }
    let port = |s: &str| strtonum(s, 0, 65535).unwrap_or(-1);
    let socks = || Some("socks".to_string());
    let f = |i: usize| fields[i].0.clone();
    let fwd = match fields.len() {
        1 => Forward {
            listen_host: None,
            listen: if fields[0].1 {
                Endpoint::Path(f(0))
            } else {
                Endpoint::Port(port(&f(0)))
            },
            connect_host: socks(),
            connect: Endpoint::Port(0),
        },
        2 if fields[0].1 && fields[1].1 => Forward {
            listen_host: None,
            listen: Endpoint::Path(f(0)),
            connect_host: None,
            connect: Endpoint::Path(f(1)),
        },
        2 if fields[1].1 => Forward {
            listen_host: None,
            listen: Endpoint::Port(port(&f(0))),
            connect_host: None,
            connect: Endpoint::Path(f(1)),
        },
        2 => Forward {
            listen_host: Some(f(0)),
            listen: Endpoint::Port(port(&f(1))),
            connect_host: socks(),
            connect: Endpoint::Port(0),
        },
        3 if fields[0].1 => Forward {
            listen_host: None,
            listen: Endpoint::Path(f(0)),
            connect_host: Some(f(1)),
            connect: Endpoint::Port(port(&f(2))),
        },
        3 if fields[2].1 => Forward {
            listen_host: Some(f(0)),
            listen: Endpoint::Port(port(&f(1))),
            connect_host: None,
            connect: Endpoint::Path(f(2)),
        },
        3 => Forward {
            listen_host: None,
            listen: Endpoint::Port(port(&f(0))),
            connect_host: Some(f(1)),
            connect: Endpoint::Port(port(&f(2))),
        },
        4 => Forward {
            listen_host: Some(f(0)),
            listen: Endpoint::Port(port(&f(1))),
            connect_host: Some(f(2)),
            connect: Endpoint::Port(port(&f(3))),
        },
        _ => return None,
    };
    let n = fields.len();
    let has_path =
        matches!(fwd.listen, Endpoint::Path(_)) || matches!(fwd.connect, Endpoint::Path(_));
    if dynamic {
        if n != 1 && n != 2 {
            return None;
        }
    } else {
        if n != 3 && n != 4 && !has_path {
            return None;
        }
        if matches!(fwd.connect, Endpoint::Port(p) if p <= 0) {
            return None;
        }
    }
    match fwd.listen {
        Endpoint::Port(p) if p < 0 || (!remote && p == 0) => return None,
        _ => {}
    }
    Some(fwd)
}

pub(crate) fn flag(s: &str) -> Option<&'static str> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "true" => Some("yes"),
        "no" | "false" => Some("no"),
        _ => None,
    }
}

/// `strtonum()`: optional leading whitespace and sign, decimal digits only.
pub(crate) fn strtonum(s: &str, min: i64, max: i64) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 18 {
        return None;
    }
    let v: i64 = digits.parse().ok()?;
    let v = if neg { -v } else { v };
    (min..=max).contains(&v).then_some(v)
}

/// Port of `convtime()`: `90`, `1m30s`, `1h5` (seconds by default).
pub(crate) fn convtime(s: &str) -> Option<i64> {
    const INT_MAX: i64 = i32::MAX as i64;
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let mut total: i64 = 0;
    let mut i = 0;
    while i < b.len() {
        let digits_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == digits_start {
            return None;
        }
        let digits = &s[digits_start..i];
        let secs: i64 = if digits.len() > 18 {
            i64::MAX
        } else {
            digits.parse().ok()?
        };
        if secs > INT_MAX {
            return None;
        }
        let multiplier = match b.get(i) {
            None => 1,
            Some(c) => {
                i += 1;
                match c {
                    b's' | b'S' => 1,
                    b'm' | b'M' => 60,
                    b'h' | b'H' => 3600,
                    b'd' | b'D' => 86400,
                    b'w' | b'W' => 604800,
                    _ => return None,
                }
            }
        };
        if secs > INT_MAX / multiplier {
            return None;
        }
        let secs = secs * multiplier;
        if total > INT_MAX - secs {
            return None;
        }
        total += secs;
    }
    Some(total)
}

/// `scan_scaled()`: a number with an optional fraction and one of the
/// suffixes `B`, `K`, `M`, `G`, `T`, `P`, `E` (powers of 1024).
fn scan_scaled(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut negative = false;
    if let Some(&c) = b.first() {
        if c == b'-' || c == b'+' {
            negative = c == b'-';
            i += 1;
        }
    }
    let mut whole: i64 = 0;
    let mut fraction: Vec<u8> = Vec::new();
    let mut seen_dot = false;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
        if b[i] == b'.' {
            if seen_dot {
                return None;
            }
            seen_dot = true;
        } else if seen_dot {
            fraction.push(b[i] - b'0');
        } else {
            whole = whole.checked_mul(10)?.checked_add(i64::from(b[i] - b'0'))?;
        }
        i += 1;
    }
    let sign = if negative { -1 } else { 1 };
    if i == b.len() {
        return Some(sign * whole);
    }
    let scale: i64 = match b[i].to_ascii_uppercase() {
        b'B' => 1,
        b'K' => 1 << 10,
        b'M' => 1 << 20,
        b'G' => 1 << 30,
        b'T' => 1 << 40,
        b'P' => 1 << 50,
        b'E' => 1 << 60,
        _ => return None,
    };
    if b.get(i + 1).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut value = whole.checked_mul(scale)?;
    let mut part: f64 = 0.0;
    for (n, d) in fraction.iter().take(18).enumerate() {
        part += f64::from(*d) / 10f64.powi(n as i32 + 1);
    }
    value += (part * scale as f64) as i64;
    Some(sign * value)
}

/// `a2tun()` of `local[:remote]`, printed as ssh prints `TunnelDevice`.
pub(crate) fn parse_tunnel_device(s: &str) -> Option<String> {
    let one = |t: &str| {
        if t.eq_ignore_ascii_case("any") {
            Some("any".to_string())
        } else {
            strtonum(t, 0, 0x7fff_fffd).map(|n| n.to_string())
        }
    };
    match s.split_once(':') {
        Some((local, remote)) => Some(format!("{}:{}", one(local)?, one(remote)?)),
        None => Some(format!("{}:any", one(s)?)),
    }
}

/// `strtol(s, 8)` for `StreamLocalBindMask`: octal digits, at most 0777.
pub(crate) fn parse_octal_mask(s: &str) -> Option<u32> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let t = t.strip_prefix('+').unwrap_or(t);
    let digits: String = t.chars().take_while(|c| ('0'..='7').contains(c)).collect();
    if digits.is_empty() {
        return None;
    }
    let v = u32::from_str_radix(&digits, 8).ok()?;
    (v <= 0o777).then_some(v)
}

/// The DSCP and legacy TOS names of `IPQoS`.
const IPQOS: &[(&str, i64)] = &[
    ("af11", 0x28),
    ("af12", 0x30),
    ("af13", 0x38),
    ("af21", 0x48),
    ("af22", 0x50),
    ("af23", 0x58),
    ("af31", 0x68),
    ("af32", 0x70),
    ("af33", 0x78),
    ("af41", 0x88),
    ("af42", 0x90),
    ("af43", 0x98),
    ("cs0", 0x00),
    ("cs1", 0x20),
    ("cs2", 0x40),
    ("cs3", 0x60),
    ("cs4", 0x80),
    ("cs5", 0xa0),
    ("cs6", 0xc0),
    ("cs7", 0xe0),
    ("ef", 0xb8),
    ("le", 0x04),
];

/// `none` in `IPQoS`: no marking at all.
const IPQOS_NONE: i64 = i32::MAX as i64;

/// `parse_ipqos()`: a name, or a number 0 to 255 (any C base before 9.8,
/// decimal since). The old TOS names read as `none` where deprecated.
pub(crate) fn parse_ipqos(s: &str, version: &Openssh) -> Option<i64> {
    if s.eq_ignore_ascii_case("none") {
        return Some(IPQOS_NONE);
    }
    if let Some((_, v)) = IPQOS.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)) {
        return Some(*v);
    }
    let legacy = [
        ("lowdelay", 0x10),
        ("throughput", 0x08),
        ("reliability", 0x04),
    ];
    if let Some((_, v)) = legacy.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)) {
        return Some(if version.tos_names_deprecated() {
            IPQOS_NONE
        } else {
            *v
        });
    }
    if version.at_least(9, 8) {
        return strtonum(s, 0, 255);
    }
    // strtol(s, &end, 0) over the whole string.
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    let digits = digits.strip_prefix('+').unwrap_or(digits);
    if digits.is_empty() {
        return None;
    }
    let v = i64::from_str_radix(digits, radix).ok()?;
    (0..=255).contains(&v).then_some(v)
}

/// `iptos2str()`: the first name with that value, else `0x%02x`.
fn iptos_name(value: i64, version: &Openssh) -> String {
    if value == IPQOS_NONE {
        return "none".to_string();
    }
    if let Some((n, _)) = IPQOS.iter().find(|(_, v)| *v == value) {
        return n.to_string();
    }
    if !version.tos_names_deprecated() {
        let legacy = [
            ("lowdelay", 0x10),
            ("throughput", 0x08),
            ("reliability", 0x04),
        ];
        if let Some((n, _)) = legacy.iter().find(|(_, v)| *v == value) {
            return n.to_string();
        }
    }
    format!("0x{value:02x}")
}

/// `vis(3)` of one byte as ssh prints `EscapeChar`.
fn vis(c: u8) -> String {
    match c {
        b'\\' => "\\\\".to_string(),
        0..=31 => format!("\\^{}", (c + 64) as char),
        127 => "\\^?".to_string(),
        b' ' => "\\040".to_string(),
        33..=126 => (c as char).to_string(),
        _ => format!("\\{:03o}", c),
    }
}

/// `tilde_expand_filename()` for the current user (`~user` is looked up).
fn tilde_expand(s: &str, home: &Path) -> String {
    let Some(rest) = s.strip_prefix('~') else {
        return s.to_string();
    };
    let (dir, path) = match rest.strip_prefix('/') {
        Some(path) => (home.to_path_buf(), path.trim_start_matches('/')),
        None if rest.is_empty() => (home.to_path_buf(), ""),
        None => {
            let (user, path) = rest.split_once('/').unwrap_or((rest, ""));
            match nix::unistd::User::from_name(user).ok().flatten() {
                Some(u) => (u.dir, path.trim_start_matches('/')),
                None => return s.to_string(),
            }
        }
    };
    let dir = dir.to_string_lossy().into_owned();
    let slash = if dir.ends_with('/') { "" } else { "/" };
    format!("{dir}{slash}{path}")
}

/// `percent_expand()`; unknown tokens are kept as written.
fn percent_expand(s: &str, tokens: &[(char, &str)]) -> String {
    expand(s, tokens, false)
}

/// `percent_dollar_expand()`: `%` tokens and `${VAR}` in one pass.
fn dollar_percent_expand(s: &str, tokens: &[(char, &str)]) -> String {
    expand(s, tokens, true)
}

/// `percent_dollar_expand()` that fails as ssh does on an unknown token,
/// a `%` at the end, an unset variable or an unclosed `${`.
fn dollar_percent_expand_strict(s: &str, tokens: &[(char, &str)]) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("${") {
            let close = rest.find('}')?;
            let value = std::env::var_os(OsStr::new(&rest[2..close]))?;
            out.push_str(&value.to_string_lossy());
            rest = &rest[close + 1..];
            continue;
        }
        if c == '%' {
            let t = rest[1..].chars().next()?;
            if t == '%' {
                out.push('%');
            } else {
                let (_, v) = tokens.iter().find(|(k, _)| *k == t)?;
                out.push_str(v);
            }
            rest = &rest[1 + t.len_utf8()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Some(out)
}

fn expand(s: &str, tokens: &[(char, &str)], dollar: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if dollar && rest.starts_with("${") {
            if let Some(close) = rest.find('}') {
                if let Some(v) = std::env::var_os(OsStr::new(&rest[2..close])) {
                    out.push_str(&v.to_string_lossy());
                    rest = &rest[close + 1..];
                    continue;
                }
            }
        }
        if c == '%' {
            let mut it = rest[1..].chars();
            match it.next() {
                Some('%') => {
                    out.push('%');
                    rest = &rest[2..];
                    continue;
                }
                Some(t) => {
                    if let Some((_, v)) = tokens.iter().find(|(k, _)| *k == t) {
                        out.push_str(v);
                        rest = &rest[1 + t.len_utf8()..];
                        continue;
                    }
                }
                None => {}
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_jump_none_then_proxy_command_in_both_openssh_behaviours() {
        let config = b"ProxyJump none\nProxyCommand nc %h %p\n";
        let fixed = Resolver::new()
            .openssh(Openssh::parse("9.2p1 Debian-2+deb12u10").unwrap())
            .resolve_bytes("x", config)
            .unwrap();
        assert_eq!(fixed.get("proxycommand"), Some("nc %h %p"));
        assert_eq!(fixed.get("proxyjump"), None);
        let legacy = Resolver::new()
            .openssh(Openssh::new(10, 0))
            .resolve_bytes("x", config)
            .unwrap();
        assert_eq!(legacy.get("proxycommand"), None);
        // A jump host blocks a later ProxyCommand either way.
        let jump = Resolver::new()
            .resolve_bytes("x", b"ProxyJump j\nProxyCommand nc\n")
            .unwrap();
        assert_eq!(jump.get("proxycommand"), None);
        assert_eq!(jump.get("proxyjump"), Some("j"));
    }

    #[test]
    fn the_jump_host_is_part_of_percent_c_since_9_6() {
        let config = b"ProxyJump u@j1:2\nControlPath /c/%C-%j\n";
        let resolve = |v: Openssh| {
            Resolver::new()
                .openssh(v)
                .local_hostname("here")
                .local_user("me")
                .resolve_bytes("x", config)
                .unwrap()
                .get("controlpath")
                .unwrap()
                .to_string()
        };
        let old = resolve(Openssh::new(9, 2));
        let new = resolve(Openssh::new(10, 0));
        assert_eq!(old, format!("/c/{}-%j", crate::sha1::hex(b"herex22me")));
        assert_eq!(new, format!("/c/{}-j1", crate::sha1::hex(b"herex22mej1")));
    }

    #[test]
    fn debian_batch_mode_keeps_alive() {
        let config = b"BatchMode yes\n";
        let debian = Resolver::new()
            .openssh(Openssh::parse("10.0p2 Debian-7+deb13u4").unwrap())
            .resolve_bytes("x", config)
            .unwrap();
        assert_eq!(debian.get("serveraliveinterval"), Some("300"));
        let upstream = Resolver::new().resolve_bytes("x", config).unwrap();
        assert_eq!(upstream.get("serveraliveinterval"), None);
    }

    #[test]
    fn update_host_keys_follows_the_known_hosts_setup() {
        let resolve = |config: &[u8]| {
            Resolver::new()
                .resolve_bytes("x", config)
                .unwrap()
                .get("updatehostkeys")
                .map(str::to_string)
        };
        assert_eq!(
            resolve(b"UserKnownHostsFile /k\n").as_deref(),
            Some("false")
        );
        assert_eq!(
            resolve(b"UserKnownHostsFile ~/.ssh/known_hosts\n").as_deref(),
            Some("true")
        );
        assert_eq!(resolve(b"VerifyHostKeyDNS ask\n").as_deref(), Some("false"));
        assert_eq!(resolve(b"User x\n"), None);
        assert_eq!(
            resolve(b"UpdateHostKeys ask\nControlPersist yes\nControlPath /c\n").as_deref(),
            Some("false")
        );
    }

    #[test]
    fn times() {
        assert_eq!(convtime("90"), Some(90));
        assert_eq!(convtime("1m30s"), Some(90));
        assert_eq!(convtime("1h5"), Some(3605));
        assert_eq!(convtime("1w"), Some(604800));
        assert_eq!(convtime("x"), None);
        assert_eq!(convtime(""), None);
        assert_eq!(convtime("5x"), None);
        assert_eq!(convtime("99999999999999999999"), None);
    }

    #[test]
    fn scaled_sizes_and_ipqos() {
        assert_eq!(scan_scaled("1G"), Some(1 << 30));
        assert_eq!(scan_scaled("512m"), Some(512 << 20));
        assert_eq!(scan_scaled("1.5K"), Some(1536));
        assert_eq!(scan_scaled("100"), Some(100));
        assert_eq!(scan_scaled("1Gx"), None);
        let v92 = Openssh::new(9, 2);
        assert_eq!(parse_ipqos("0x10", &v92), Some(0x10));
        assert_eq!(iptos_name(0x10, &v92), "lowdelay");
        assert_eq!(iptos_name(0x04, &v92), "le");
        let v101 = Openssh::new(10, 1);
        assert_eq!(parse_ipqos("lowdelay", &v101), Some(IPQOS_NONE));
        assert_eq!(parse_ipqos("0x10", &v101), None);
        assert_eq!(iptos_name(0x10, &v101), "0x10");
    }

    #[test]
    fn forwards() {
        let f = |s, d, r| parse_forward(s, d, r).map(|f| format_forward(&f, !d));
        assert_eq!(
            f("8080:localhost:80", false, false).as_deref(),
            Some("8080 [localhost]:80")
        );
        assert_eq!(
            f("[::1]:81:h/22", false, false).as_deref(),
            Some("[::1]:81 h/22")
        );
        assert_eq!(f("*:1080", true, false).as_deref(), Some("[*]:1080"));
        assert_eq!(f("8080", false, false), None);
    }

    #[test]
    fn tokens() {
        assert_eq!(percent_expand("a%%b%h%z", &[('h', "H")]), "a%bH%z");
        assert_eq!(tilde_expand("~/x", Path::new("/home/u")), "/home/u/x");
        assert_eq!(tilde_expand("~", Path::new("/home/u/")), "/home/u/");
        assert_eq!(vis(1), "\\^A");
        assert_eq!(
            dollar_percent_expand_strict("a%%%h", &[('h', "H")]).as_deref(),
            Some("a%H")
        );
        assert_eq!(dollar_percent_expand_strict("%z", &[]), None);
        assert_eq!(dollar_percent_expand_strict("%", &[]), None);
    }

    #[test]
    fn jumps() {
        assert_eq!(
            parse_user_host_port("u@h:22"),
            Some((Some("u".into()), "h".into(), Some(22)))
        );
        assert_eq!(
            parse_user_host_port("[::1]:2"),
            Some((None, "::1".into(), Some(2)))
        );
        assert_eq!(parse_user_host_port("@h"), None);
    }
}
