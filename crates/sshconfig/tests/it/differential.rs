//! Differential test: the resolver against the installed `ssh -G`.

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use sshconfig::{Openssh, Resolver};

use crate::generate::{current_user, resolution_config, Rng, HOSTS};

/// One case: the configuration, the host, and extra files (relative to the
/// scratch `$HOME`, `@D@` in any text standing for that directory).
struct Case {
    config: String,
    host: String,
    files: Vec<(String, String)>,
}

fn case(config: &str, host: &str) -> Case {
    Case {
        config: config.to_string(),
        host: host.to_string(),
        files: Vec::new(),
    }
}

fn with_files(config: &str, host: &str, files: &[(&str, &str)]) -> Case {
    Case {
        config: config.to_string(),
        host: host.to_string(),
        files: files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect(),
    }
}

fn hand_written(version: &Openssh) -> Vec<Case> {
    let user = current_user();
    let mut cases = vec![
        case("Host web\n  Port 2222\n", "web"),
        case("host WEB\n  port 2222\n", "web"),
        case("Host Web\n  Port 1\nHost web\n  Port 2\n", "Web"),
        case("Host web\n  HostName %h.example.com\n  User=alice\n", "web"),
        case("Host *\n  User a\nHost web\n  User b\n", "web"),
        case("Host web\n  User b\nHost *\n  User a\n", "web"),
        case("Host * !web\n  User a\n", "web"),
        case("Host * !web\n  User a\n", "db"),
        case("Host !web *\n  User a\n", "web"),
        case("Host web,db\n  User comma\n", "db"),
        case("Host web-?\n  Port 3\n", "web-1"),
        case("Host \"web\" 'db'\n  Port 4\n", "db"),
        case("Port = 5\nHost web\n  Port 6\n", "web"),
        case("Port=7\n", "x"),
        case("Port\t8 # comment\n", "x"),
        case("  HostName  =  \"Quoted Name\"\n", "x"),
        case("Hostname x%%y%h\n", "H"),
        case("Host web\r\n  User crlf\r\n", "web"),
        case("Host web\n  User nonl", "web"),
        case("Match all\n  User m\n", "web"),
        case("Match host web\n  User m\n", "WEB"),
        case("Match host db,web* user root\n  User m\n", "web-1"),
        case("Match originalhost Web\n  Port 9\n", "web"),
        case("Host web\n  HostName db\nMatch host db\n  Port 10\n", "web"),
        case("Host web\n  HostName db\nMatch originalhost db\n  Port 10\n", "web"),
        case(&format!("Match user {user}\n  Port 11\n"), "web"),
        case("User alice\nMatch user alice\n  Port 12\n", "web"),
        case(&format!("Match localuser {user}\n  Port 13\n"), "web"),
        case("Match !localuser nobody\n  Port 14\n", "web"),
        case("Match exec true\n  Port 15\n", "web"),
        case("Match exec false\n  Port 15\nMatch !exec false\n  Port 16\n", "web"),
        case("Match exec \"test %h = web\"\n  Port 17\n", "web"),
        case("Match exec \"test %n = WeB\"\n  Port 18\n", "WeB"),
        case("Match host nomatch exec \"exit 1\"\n  Port 19\n", "web"),
        case("Match final\n  Port 20\nMatch !final\n  User nf\n", "web"),
        case("Match canonical\n  Port 21\n", "web"),
        case("Match canonical final\n  Port 21\nMatch !canonical\n  User c\n", "web"),
        case("Host web\n  HostName Bar\nHost bar\n  User x\nMatch final host bar\n  Port 5\n", "web"),
        case("Host web\n  HostName bar\nHost bar\n  User x\n", "web"),
        case("Match final\nHost a\n  SendEnv A\nHost *\n  SendEnv B\n  SetEnv X=1\n", "a"),
        case("IdentityFile ~/a\nIdentityFile ~/b\nIdentityFile ~/a\n", "x"),
        case("CertificateFile /c1\nHost *\n  CertificateFile /c2\n", "x"),
        case("LocalForward 1 h:2\nLocalForward 1 h:2\nLocalForward 3 h:4\n", "x"),
        case("RemoteForward 8000\nRemoteForward [::1]:9 h:1\n", "x"),
        case("DynamicForward 1080\nLocalForward *:80 /tmp/s\n", "x"),
        case("ClearAllForwardings yes\nLocalForward 1 h:2\n", "x"),
        case("SendEnv A B C\nSendEnv -B\nSendEnv D\n", "x"),
        case("SetEnv A=1 B=\"x y\" A=2\nSetEnv C=3\n", "x"),
        case("UserKnownHostsFile ~/k1 /k2\nUserKnownHostsFile /k3\n", "x"),
        case("GlobalKnownHostsFile /g1 /g2\n", "x"),
        case("ProxyCommand nc %h %p\nProxyJump j\n", "x"),
        case("ProxyJump u@j1:22,j2\nProxyCommand nc\n", "x"),
        case("ProxyJump none\nProxyCommand nc\n", "x"),
        case("ProxyJump 10.0.0.1\n", "x"),
        case("ProxyCommand=ssh -W %h:%p gw # trailing\n", "x"),
        case("LogLevel debug1\n", "x"),
        case("LogLevel QUIET\n", "x"),
        case("ControlPersist 1h5\n", "x"),
        case("ControlPersist 0\n", "x"),
        case("AddKeysToAgent confirm 10m\n", "x"),
        case("AddKeysToAgent 10m\n", "x"),
        case("EscapeChar ^A\n", "x"),
        case("EscapeChar \\\\\n", "x"),
        case("HostKeyAlias KA\nControlPath /x/%C-%k-%n-%h-%l-%L-%i-%d-%u-%r-%p\n", "Foo"),
        case("ControlPath ~/%k\n", "Foo"),
        case("IdentityAgent ~/agent\n", "x"),
        case("RemoteCommand echo %h %n %%\n", "X"),
        case("ForwardAgent /tmp/%h\n", "x"),
        case("ForwardAgent yes\nForwardAgent ~/s\n", "x"),
        case("ChallengeResponseAuthentication no\nKeepAlive no\n", "x"),
        case("StrictHostKeyChecking off\nPubkeyAuthentication unbound\nRequestTTY yes\nControlMaster ask\nVerifyHostKeyDNS ask\nUpdateHostKeys ask\nTunnel ethernet\nForwardX11 true\n", "x"),
        case("ServerAliveInterval 1w\nConnectTimeout 0\nForwardX11Timeout 2h\n", "x"),
        case("Port 22\nPort 23\n", "x"),
        case("Host 10.0.0.*\n  User net\n", "10.0.0.5"),
        case("Host *.example.com\n  User dom\n", "db.example.com"),
        case("Host x\nUser unreachable\nHost *\nUser all\n", "y"),
        case("Match host=web\n  User eq\n", "web"),
        case("Match host web # comment\n  User c\n", "web"),
        case("\"Port\" 24\n", "x"),
        case("User \"a b\"\n", "x"),
        case("Host web\n\tUser\ttab\n", "web"),
        case("Port 25\u{0}junk\n", "x"),
        // Derivations.
        case("BatchMode yes\n", "x"),
        case("BatchMode yes\nServerAliveInterval 10\n", "x"),
        case("ServerAliveInterval none\nBatchMode yes\n", "x"),
        case("BatchMode no\n", "x"),
        case("UserKnownHostsFile ~/.ssh/known_hosts\n", "x"),
        case("UserKnownHostsFile ~/.ssh/known_hosts ~/.ssh/known_hosts2\n", "x"),
        case("UserKnownHostsFile /dev/null\n", "x"),
        case("UserKnownHostsFile none\n", "x"),
        case("VerifyHostKeyDNS yes\n", "x"),
        case("UpdateHostKeys ask\nControlPersist 10m\nControlPath /tmp/c\n", "x"),
        case("UpdateHostKeys ask\nControlPersist 10m\nControlPath none\n", "x"),
        case("UpdateHostKeys ask\nRemoteCommand none\n", "x"),
        case("UpdateHostKeys ask\nLogLevel ERROR\n", "x"),
        case("UpdateHostKeys yes\nUserKnownHostsFile /dev/null\n", "x"),
        case("ProxyJump bastion\nProxyUseFdpass yes\n", "x"),
        case("ProxyCommand nc %h %p\nProxyUseFdpass yes\n", "x"),
        case("ProxyJump u@b1:22,b2\nControlPath /tmp/%C-%h\n", "x"),
        case("ClearAllForwardings yes\nTunnel yes\nRemoteForward 9 h:1\n", "x"),
        case("ForkAfterAuthentication yes\nRemoteCommand true\n", "x"),
        case("ConnectTimeout none\nConnectTimeout 5\n", "x"),
        case("Host nomatch\n  StreamLocalBindMask 0177\nHost *\n  StreamLocalBindMask 077\n", "x"),
        case("RekeyLimit 1G\nRekeyLimit 2G 1h\n", "x"),
        case("IPQoS lowdelay\n", "x"),
        case("IPQoS af21 cs1\n", "x"),
        case("FingerprintHash md5\n", "x"),
        case("IgnoreUnknown UseKeychain\nUseKeychain yes\n", "x"),
        case("LogVerbose kex.c:*:1000 none2\n", "x"),
        case("PermitRemoteOpen localhost:8080 *:22\n", "x"),
        case("TunnelDevice 1\n", "x"),
        case("HostName 010.1\n", "x"),
        case("HostKeyAlias MiXeD\nControlPath /tmp/%k\n", "x"),
        // ssh runs with HOME at the case's directory; PATH it shares.
        case("SetEnv A=%h B=${PATH}\n", "x"),
        case("User %n-user\nControlPath /tmp/%r\n", "web"),
    ];
    if version.is_debian() {
        cases.push(case("ProtocolKeepAlives 45\nSetupTimeOut 20\n", "x"));
        cases.push(case("SetupTimeOut 20\nBatchMode yes\n", "x"));
    }
    if (version.major(), version.minor()) >= (9, 4) {
        cases.push(case("Tag work\nMatch tagged work\n  Port 41\n", "x"));
        cases.push(case("Match tagged \"\"\n  Port 42\n", "x"));
    }
    if (version.major(), version.minor()) >= (9, 9) {
        cases.push(case("Match host=x user='root,alice'\n  Port 43\n", "x"));
        cases.push(with_files(
            "Include @D@/inc/%h.conf\n",
            "web",
            &[("inc/web.conf", "User pct\n")],
        ));
    }
    if version.major() >= 10 {
        cases.push(case("Match version OpenSSH_10*\n  Port 44\n", "x"));
        cases.push(case("Match sessiontype shell\n  Port 45\n", "x"));
        cases.push(case("Match command \"\"\n  Port 46\n", "x"));
    }
    cases.push(with_files(
        "Include @D@/inc/a.conf\nPort 30\n",
        "web",
        &[("inc/a.conf", "Host web\n  User inc\n")],
    ));
    cases.push(with_files(
        "Include @D@/inc/*.conf\n",
        "web",
        &[
            ("inc/b.conf", "User b\n"),
            ("inc/a.conf", "User a\nSendEnv A\n"),
            ("inc/c.txt", "User c\n"),
        ],
    ));
    cases.push(with_files(
        "Include rel.conf\n",
        "web",
        &[(".ssh/rel.conf", "User rel\n")],
    ));
    cases.push(with_files(
        "Include ~/tilde.conf\n",
        "web",
        &[("tilde.conf", "User tilde\n")],
    ));
    cases.push(with_files(
        "Host db\n  Include @D@/cond.conf\nHost *\n  Port 31\n",
        "web",
        &[("cond.conf", "User cond\nHost *\n  Port 32\n")],
    ));
    cases.push(with_files(
        "Host web\n  Include @D@/cond.conf\n  User after\n",
        "web",
        &[("cond.conf", "Port 33\nHost nomatch\n  Port 34\n")],
    ));
    cases.push(with_files(
        "Include @D@/n1.conf\n",
        "web",
        &[
            ("n1.conf", "Include @D@/n2.conf\nPort 35\n"),
            ("n2.conf", "User nested\n"),
        ],
    ));
    cases.push(with_files(
        "Include @D@/missing.conf @D@/x[ab].conf\nUser after\n",
        "web",
        &[("xb.conf", "Port 36\n")],
    ));
    cases.push(with_files(
        "Include @D@/dir/*/c.conf\n",
        "web",
        &[
            ("dir/one/c.conf", "Port 37\n"),
            ("dir/two/c.conf", "Port 38\nUser two\n"),
        ],
    ));
    cases.push(with_files(
        "Match host nomatch\n  Include @D@/nm.conf\nUser x\n",
        "web",
        &[(
            "nm.conf",
            "Host *\n  Port 39\nMatch all\n  Compression yes\n",
        )],
    ));
    // Nesting up to ssh's limit of 16 works.
    let mut files = Vec::new();
    for i in 0..15 {
        files.push((
            format!("d{i}.conf"),
            format!("Include @D@/d{}.conf\n", i + 1),
        ));
    }
    files.push(("d15.conf".to_string(), "Port 40\n".to_string()));
    cases.push(Case {
        config: "Include @D@/d0.conf\n".to_string(),
        host: "web".to_string(),
        files,
    });
    cases
}

fn generated(count: usize, version: &Openssh) -> Vec<Case> {
    let mut rng = Rng::new(0x5eed_0f55_c0de);
    let includes: Vec<String> = vec![
        "@D@/inc/g1.conf".into(),
        "@D@/inc/g*.conf".into(),
        "g3.conf".into(),
        "~/inc/g2.conf".into(),
    ];
    (0..count)
        .map(|_| {
            let config = resolution_config(&mut rng, &includes, version);
            let host = rng.pick(HOSTS).to_string();
            let files = vec![
                (
                    "inc/g1.conf".to_string(),
                    resolution_config(&mut rng, &[], version),
                ),
                (
                    "inc/g2.conf".to_string(),
                    resolution_config(&mut rng, &[], version),
                ),
                (
                    ".ssh/g3.conf".to_string(),
                    resolution_config(&mut rng, &[], version),
                ),
            ];
            Case {
                config,
                host,
                files,
            }
        })
        .collect()
}

fn ssh_g(home: &Path, file: &Path, host: &str) -> Result<String, String> {
    let out = Command::new("ssh")
        .arg("-G")
        .arg("-F")
        .arg(file)
        .arg("--")
        .arg(host)
        .env("HOME", home)
        .env("SHELL", "/bin/sh")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run ssh: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn lines_of<'a>(output: &'a str, keyword: &str) -> Vec<&'a str> {
    output
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(k, _)| *k == keyword)
        .map(|(_, v)| v)
        .collect()
}

/// The installed ssh's release, from `ssh -V`. `SSHCONFIG_EXPECT_OPENSSH`
/// (`10.0`, say) makes sure it is the one a run means to test.
pub fn installed_openssh() -> Openssh {
    let out = Command::new("ssh")
        .arg("-V")
        .output()
        .expect("ssh is not installed; the tests that compare with ssh need OpenSSH's client");
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    let version = Openssh::parse(text.trim()).unwrap();
    if let Ok(expected) = std::env::var("SSHCONFIG_EXPECT_OPENSSH") {
        assert_eq!(
            format!("{}.{}", version.major(), version.minor()),
            expected,
            "ssh -V says {text}"
        );
    }
    version
}

/// How many generated cases the differential test adds to the hand-written
/// ones: with them, more than 600 cases.
const GENERATED: usize = 560;

#[test]
fn resolution_matches_ssh_g() {
    let version = installed_openssh();
    let mut cases = hand_written(&version);
    let hand = cases.len();
    cases.extend(generated(GENERATED, &version));
    let scratch = tempfile::tempdir().unwrap();
    // Set SSHCONFIG_KEEP_CASES to keep the case files for a closer look
    // (`cases.txt` lists each case's directory and host).
    let scratch_path = if std::env::var_os("SSHCONFIG_KEEP_CASES").is_some() {
        #[allow(deprecated)]
        scratch.into_path()
    } else {
        scratch.path().to_path_buf()
    };
    let mut manifest = String::new();
    let mut baselines: HashMap<String, String> = HashMap::new();
    let mut failures = Vec::new();
    let mut rejected = Vec::new();
    let mut compared = 0;
    for (n, case) in cases.iter().enumerate() {
        let home = scratch_path.join(format!("case{n}"));
        fs::create_dir_all(home.join(".ssh")).unwrap();
        let d = home.to_str().unwrap();
        for (rel, text) in &case.files {
            let path = home.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, text.replace("@D@", d)).unwrap();
        }
        let file = home.join("config");
        fs::write(&file, case.config.replace("@D@", d)).unwrap();
        manifest.push_str(&format!("{} {}\n", home.display(), case.host));
        let theirs = match ssh_g(&home, &file, &case.host) {
            Ok(out) => out,
            Err(err) => {
                // Every case must be one ssh accepts: the corpus is made of
                // valid values only, and a rejected case would compare
                // nothing.
                let kind = if n < hand {
                    "hand-written"
                } else {
                    "generated"
                };
                rejected.push(format!("{kind} case {n}: {}\n{}", err.trim(), case.config));
                continue;
            }
        };
        let baseline = baselines.entry(case.host.clone()).or_insert_with(|| {
            ssh_g(&home, Path::new("/dev/null"), &case.host).expect("ssh -G with an empty config")
        });
        let ours = Resolver::new()
            .openssh(version.clone())
            .config_file(&file)
            .include_home(&home)
            .shell("/bin/sh")
            .resolve(&case.host)
            .unwrap();
        compared += 1;
        // What we list must be what ssh prints; what we leave out must be
        // what ssh prints for an empty configuration.
        let mut problems = Vec::new();
        for keyword in sshconfig::supported_options() {
            let mine = ours.get_all(keyword);
            let expected = if mine.is_empty() {
                lines_of(baseline, keyword)
            } else {
                lines_of(&theirs, keyword)
            };
            let actual = if mine.is_empty() {
                lines_of(&theirs, keyword)
            } else {
                mine
            };
            if expected != actual {
                problems.push(format!(
                    "  {keyword}: ssh -G says {:?}, we say {:?}",
                    lines_of(&theirs, keyword),
                    ours.get_all(keyword)
                ));
            }
        }
        // The order of what we print is ssh's order.
        let printed: Vec<&str> = ours.iter().map(|(k, _)| k).collect();
        let ssh_order: Vec<&str> = theirs
            .lines()
            .filter_map(|l| l.split_once(' ').map(|(k, _)| k))
            .filter(|k| printed.contains(k))
            .collect();
        if problems.is_empty() && ssh_order != printed {
            problems.push(format!("  order: ssh {ssh_order:?}, ours {printed:?}"));
        }
        if !problems.is_empty() {
            let mut text = format!(
                "case {n} host {:?}:\n{}\n--- config\n{}",
                case.host,
                problems.join("\n"),
                case.config
            );
            for (rel, body) in &case.files {
                text.push_str(&format!("--- {rel}\n{body}"));
            }
            failures.push(text);
        }
    }
    fs::write(scratch_path.join("cases.txt"), manifest).unwrap();
    let mut by_keyword: HashMap<String, usize> = HashMap::new();
    for failure in &failures {
        for line in failure
            .lines()
            .filter(|l| l.starts_with("  ") && l.contains(": ssh"))
        {
            let keyword = line.trim().split(':').next().unwrap_or("").to_string();
            *by_keyword.entry(keyword).or_default() += 1;
        }
    }
    eprintln!(
        "{version}: compared {compared} cases ({hand} hand-written) with ssh -G, \
         {} differ, {} rejected by ssh",
        failures.len(),
        rejected.len()
    );
    assert!(
        rejected.is_empty(),
        "ssh rejected {} cases:\n{}",
        rejected.len(),
        rejected
            .iter()
            .take(6)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(compared >= 600, "only {compared} cases compared");
    assert!(
        failures.is_empty(),
        "{} of {compared} cases differ ({by_keyword:?}):\n{}",
        failures.len(),
        failures
            .iter()
            .take(6)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_corpus_covers_every_supported_option() {
    use crate::generate::VALUES;
    let spelled: Vec<String> = VALUES
        .iter()
        .map(|(k, _, _)| k.to_ascii_lowercase())
        .collect();
    for keyword in sshconfig::supported_options() {
        assert!(
            spelled.iter().any(|s| s == keyword),
            "the generated corpus has no values for {keyword}"
        );
    }
}
