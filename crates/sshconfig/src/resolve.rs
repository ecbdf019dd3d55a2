//! Resolution of the options that apply to one host, as `ssh -G` prints them.

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

/// ssh's `READCONF_MAX_DEPTH`: how deep `Include` may nest.
const MAX_INCLUDE_DEPTH: usize = 16;

/// How an option's value is read and printed.
#[derive(Clone, Copy)]
enum Kind {
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
    /// The first argument, lower-cased.
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

/// Every supported option in the order `ssh -G` prints them (OpenSSH 9.2's
/// `dump_client_config()`), with the keyword it prints.
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
    ("compression", Kind::Flag),
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
    ("clearallforwardings", Kind::Flag),
    ("exitonforwardfailure", Kind::Flag),
    ("forwardx11", Kind::Flag),
    ("forwardx11trusted", Kind::Flag),
    ("gatewayports", Kind::Flag),
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
    ("connectionattempts", Kind::Int),
    ("forwardx11timeout", Kind::Time),
    ("numberofpasswordprompts", Kind::Int),
    ("serveralivecountmax", Kind::Int),
    ("serveraliveinterval", Kind::Time),
    ("bindaddress", Kind::Str),
    ("bindinterface", Kind::Str),
    ("controlpath", Kind::Path),
    ("hostkeyalias", Kind::Lower),
    ("identityagent", Kind::Path),
    ("localcommand", Kind::Command),
    ("remotecommand", Kind::ExpandedCommand),
    ("loglevel", Kind::Special),
    ("preferredauthentications", Kind::Str),
    ("xauthlocation", Kind::Str),
    ("knownhostscommand", Kind::Command),
    ("dynamicforward", Kind::Special),
    ("localforward", Kind::Special),
    ("remoteforward", Kind::Special),
    ("identityfile", Kind::Special),
    ("certificatefile", Kind::Special),
    ("globalknownhostsfile", Kind::Special),
    ("userknownhostsfile", Kind::Special),
    ("sendenv", Kind::Special),
    ("setenv", Kind::Special),
    ("addkeystoagent", Kind::Special),
    ("forwardagent", Kind::Special),
    ("connecttimeout", Kind::Time),
    ("controlpersist", Kind::Special),
    ("escapechar", Kind::Special),
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
pub fn supported_options() -> impl Iterator<Item = &'static str> {
    OPTIONS.iter().map(|(name, _)| *name)
}

fn lookup(keyword: &[u8]) -> Option<(&'static str, Kind)> {
    let keyword = ALIASES
        .iter()
        .find(|(alias, _)| alias.as_bytes() == keyword)
        .map_or(keyword, |(_, name)| name.as_bytes());
    OPTIONS
        .iter()
        .find(|(name, _)| name.as_bytes() == keyword)
        .copied()
}

/// Resolves the options a configuration gives a host, as `ssh -G` does.
///
/// ```no_run
/// # fn main() -> Result<(), sshconfig::Error> {
/// let resolved = sshconfig::Resolver::new().resolve("web-container")?;
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
    jump_none_blocks_command: bool,
}

impl Default for Resolver {
    fn default() -> Self {
        Resolver::new()
    }
}

impl Resolver {
    /// A resolver for the current user: the local user name, uid and home
    /// directory come from the password database (as ssh takes them), the
    /// configuration is `~/.ssh/config`, `Match exec` runs `$SHELL -c`.
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
            jump_none_blocks_command: false,
        }
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

    /// Whether `ProxyJump none` keeps a later `ProxyCommand` from applying,
    /// as OpenSSH did before 10.0 (and Debian's 9.2p1 before its
    /// 9.2p1-2+deb12u10 update). The default, `false`, is what current
    /// OpenSSH does: `none` sets no jump host, so a later `ProxyCommand`
    /// is taken.
    pub fn proxy_jump_none_blocks_proxy_command(mut self, blocks: bool) -> Resolver {
        self.jump_none_blocks_command = blocks;
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
/// format: lower-case keywords, one entry per value. `Display` prints them
/// as `ssh -G` does, one `keyword value` line each.
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
    /// The printed `proxyjump` value, or `None` for `ProxyJump none`.
    jump: Option<Option<String>>,
    forward_agent_path: Option<String>,
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
                let matched = self.match_line(&d.rest)?;
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
            // ssh forgets to check whether the block applies for this one.
            b"syslogfacility" => self.option(&d),
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

    /// Port of `match_cfg_line()`. A malformed line matches nothing.
    fn match_line(&mut self, rest: &[u8]) -> Result<bool, Error> {
        let st = &self.state.single;
        let port = st.get("port").cloned().unwrap_or_else(|| "22".to_string());
        let ruser = st
            .get("user")
            .cloned()
            .unwrap_or_else(|| self.r.local_user.clone());
        let host = if self.final_pass {
            st.get("hostname").cloned().unwrap_or_default()
        } else {
            match st.get("hostname") {
                Some(h) => percent_expand(h, &[('h', self.host_arg)]),
                None => self.host_arg.to_string(),
            }
        };
        let mut cur = Some(rest);
        let mut result = true;
        let mut attributes = 0;
        while let Some(oattrib) = lex::strdelim(&mut cur) {
            if oattrib.is_empty() {
                break;
            }
            if oattrib[0] == b'#' {
                break;
            }
            let (negate, attrib) = match oattrib.strip_prefix(b"!") {
                Some(a) => (true, a.to_ascii_lowercase()),
                None => (false, oattrib.to_ascii_lowercase()),
            };
            if attrib == b"all" {
                let next = if cur.is_some() {
                    lex::strdelim(&mut cur)
                } else {
                    None
                };
                if attributes > 1 || next.as_ref().is_some_and(|n| !n.is_empty() && n[0] != b'#') {
                    return Ok(false);
                }
                return Ok(result && !negate);
            }
            attributes += 1;
            if attrib == b"canonical" || attrib == b"final" {
                if attrib == b"final" {
                    self.want_final = true;
                }
                if self.final_pass == negate {
                    result = false;
                }
                continue;
            }
            let arg = if cur.is_some() {
                lex::strdelim(&mut cur)
            } else {
                None
            };
            let Some(arg) = arg.filter(|a| !a.is_empty() && a[0] != b'#') else {
                return Ok(false);
            };
            let r = match &attrib[..] {
                b"host" => match_hostname(host.as_bytes(), &arg),
                b"originalhost" => match_hostname(self.host_arg.as_bytes(), &arg),
                b"user" => match_pattern_list(ruser.as_bytes(), &arg, false) == 1,
                b"localuser" => match_pattern_list(self.r.local_user.as_bytes(), &arg, false) == 1,
                b"exec" => {
                    if !result {
                        continue;
                    }
                    let thishost = self.r.hostname.clone();
                    let short = thishost.split('.').next().unwrap_or("").to_string();
                    let hash =
                        crate::sha1::hex(format!("{thishost}{host}{port}{ruser}").as_bytes());
                    let keyalias = st.get("hostkeyalias").cloned().unwrap_or(host.clone());
                    let home = self.r.home.to_string_lossy().into_owned();
                    let uid = self.r.uid.to_string();
                    let cmd = percent_expand(
                        &lossy(&arg),
                        &[
                            ('C', &hash),
                            ('L', &short),
                            ('d', &home),
                            ('h', &host),
                            ('k', &keyalias),
                            ('l', &thishost),
                            ('n', self.host_arg),
                            ('p', &port),
                            ('r', &ruser),
                            ('u', &self.r.local_user),
                            ('i', &uid),
                        ],
                    );
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
        let Some((name, kind)) = lookup(&d.keyword) else {
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
                Some(None) => self.r.jump_none_blocks_command,
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
                if let Some(v) = convtime(&first_s) {
                    self.set(name, v.to_string());
                }
            }
            Kind::Str | Kind::Path => self.set(name, first_s),
            Kind::Lower => self.set(name, first_s.to_ascii_lowercase()),
            Kind::Command | Kind::ExpandedCommand => {}
            Kind::Special => self.special(name, &args),
        }
    }

    fn set(&mut self, name: &'static str, value: String) {
        self.state.single.entry(name).or_insert(value);
    }

    fn special(&mut self, name: &'static str, args: &[Vec<u8>]) {
        let first = lossy(&args[0]);
        let st = &mut self.state;
        match name {
            "user" | "hostname" => {
                st.single.entry(name).or_insert(first);
            }
            "port" => {
                if let Some(p) = strtonum(&first, 1, 65535) {
                    st.single.entry(name).or_insert(p.to_string());
                }
            }
            "loglevel" => {
                let level = match first.to_ascii_uppercase().as_str() {
                    "QUIET" => "SILENT",
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
                    "no" | "false" => "no".to_string(),
                    "yes" | "true" => "yes".to_string(),
                    t => match convtime(t) {
                        Some(0) => "yes".to_string(),
                        Some(s) => s.to_string(),
                        None => return,
                    },
                };
                st.single.entry(name).or_insert(value);
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
                    Some(c) => c.to_string(),
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
            "userknownhostsfile" | "globalknownhostsfile" => {
                let slot = if name == "userknownhostsfile" {
                    &mut st.user_known_hosts
                } else {
                    &mut st.global_known_hosts
                };
                if slot.is_none() {
                    *slot = Some(args.iter().map(|a| lossy(a)).collect());
                }
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
        if self.state.jump.is_some() || self.state.single.contains_key("proxycommand") {
            return;
        }
        let spec = s.split('#').next().unwrap_or("").trim_end();
        if s.eq_ignore_ascii_case("none") {
            self.state.jump = Some(None);
            return;
        }
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
        let extra = match s.rfind(',') {
            Some(i) if i > 0 => format!("{},", &s[..i]),
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
        self.state.jump = Some(Some(out));
    }
}

/// What ssh makes of the host name before using it: a numeric IPv4 address
/// in any `inet_aton()` spelling becomes dotted quad, an IPv6 address stays
/// as written, and any other name is lower-cased (unless it holds a `%`,
/// which ssh's address check lets through unchanged).
fn canonical_host(name: &str) -> String {
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
    fn finish(self, r: &Resolver, host_arg: &str, hostname: &str) -> Resolved {
        let user = self
            .single
            .get("user")
            .cloned()
            .unwrap_or_else(|| r.local_user.clone());
        let port = self
            .single
            .get("port")
            .cloned()
            .unwrap_or_else(|| "22".to_string());
        let keyalias = self
            .single
            .get("hostkeyalias")
            .cloned()
            .unwrap_or_else(|| host_arg.to_string());
        let thishost = r.hostname.clone();
        let short = thishost.split('.').next().unwrap_or("").to_string();
        let hash = crate::sha1::hex(format!("{thishost}{hostname}{port}{user}").as_bytes());
        let home = r.home.to_string_lossy().into_owned();
        let uid = r.uid.to_string();
        let tokens: [(char, &str); 11] = [
            ('C', &hash),
            ('L', &short),
            ('i', &uid),
            ('k', &keyalias),
            ('l', &thishost),
            ('n', host_arg),
            ('p', &port),
            ('d', &home),
            ('h', hostname),
            ('r', &user),
            ('u', &r.local_user),
        ];
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
        let clear_forwards =
            self.single.get("clearallforwardings").map(String::as_str) == Some("yes");
        let mut single = self.single.clone();
        // ClearAllForwardings also closes the tunnel.
        if clear_forwards && single.contains_key("tunnel") {
            single.insert("tunnel", "false".to_string());
        }
        // ssh turns UpdateHostKeys=ask off where it could not ask.
        if single.get("updatehostkeys").map(String::as_str) == Some("ask") {
            let has_command = single
                .get("remotecommand")
                .is_some_and(|c| !c.eq_ignore_ascii_case("none"));
            let no_tty = single.get("requesttty").map(String::as_str) == Some("false");
            let quiet = matches!(
                single.get("loglevel").map(String::as_str),
                Some("SILENT" | "FATAL" | "ERROR")
            );
            if has_command || no_tty || quiet {
                single.insert("updatehostkeys", "false".to_string());
            }
        }
        let mut out: Vec<(&'static str, String)> = Vec::new();
        for &(name, kind) in OPTIONS {
            let single = single.get(name);
            match name {
                "hostname" => {
                    if single.is_some() {
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
                        let files: Vec<String> = files.iter().map(|f| path(f)).collect();
                        out.push((name, files.join(" ")));
                    }
                }
                "globalknownhostsfile" => {
                    if let Some(files) = &self.global_known_hosts {
                        out.push((name, files.join(" ")));
                    }
                }
                "sendenv" => out.extend(self.send_env.iter().map(|v| (name, v.clone()))),
                "setenv" => out.extend(self.set_env.iter().map(|v| (name, v.clone()))),
                "forwardagent" => {
                    if let Some(p) = &self.forward_agent_path {
                        out.push((name, path(p)));
                    } else if let Some(v) = single {
                        out.push((name, v.clone()));
                    }
                }
                "proxycommand" => {
                    if !matches!(self.jump, Some(Some(_))) {
                        if let Some(v) = single.filter(|v| !v.eq_ignore_ascii_case("none")) {
                            out.push((name, v.clone()));
                        }
                    }
                }
                "proxyjump" => {
                    if let Some(Some(v)) = &self.jump {
                        out.push((name, v.clone()));
                    }
                }
                _ => {
                    let Some(v) = single else { continue };
                    let none_clears = matches!(
                        name,
                        "controlpath" | "localcommand" | "remotecommand" | "knownhostscommand"
                    );
                    if none_clears && v.eq_ignore_ascii_case("none") {
                        continue;
                    }
                    let value = match kind {
                        Kind::Path => path(v),
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

fn flag(s: &str) -> Option<&'static str> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "true" => Some("yes"),
        "no" | "false" => Some("no"),
        _ => None,
    }
}

/// `strtonum()`: optional leading whitespace and sign, decimal digits only.
fn strtonum(s: &str, min: i64, max: i64) -> Option<i64> {
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
fn convtime(s: &str) -> Option<i64> {
    const INT_MAX: i64 = i32::MAX as i64;
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let mut total: i64 = 0;
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c') {
            i += 1;
        }
        let mut neg = false;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            neg = b[i] == b'-';
            i += 1;
        }
        let digits_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == digits_start {
            let _ = start;
            return None;
        }
        let digits = &s[digits_start..i];
        let secs: i64 = if digits.len() > 18 {
            i64::MAX
        } else {
            digits.parse().ok()?
        };
        if secs > 0 && neg {
            return None;
        }
        if secs >= INT_MAX {
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
        let current = Resolver::new().resolve_bytes("x", config).unwrap();
        assert_eq!(current.get("proxycommand"), Some("nc %h %p"));
        assert_eq!(current.get("proxyjump"), None);
        let legacy = Resolver::new()
            .proxy_jump_none_blocks_proxy_command(true)
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
