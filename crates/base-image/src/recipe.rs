//! The recipe: shell scripts run in order inside one build container made
//! from a Debian or Ubuntu image, and the configuration the result gets.
//!
//! The recipe's version is a hash of its text, so any change to a script
//! changes the label and makes existing base images out of date.

use docker_exec::StableHash;

/// One step: what progress shows, and the `/bin/sh` script that does it.
#[derive(Clone, Debug)]
pub(crate) struct Step {
    pub(crate) title: String,
    pub(crate) script: String,
    /// The package mirror this step is the first to fetch from: its
    /// failure is the mirror's.
    pub(crate) mirror: Option<String>,
}

impl Step {
    fn new(title: impl Into<String>, script: impl Into<String>) -> Step {
        Step {
            title: title.into(),
            script: script.into(),
            mirror: None,
        }
    }
}

/// The init script, the image's command: it makes the host key on the
/// tmpfs [`crate::KEYS_DIR`] redock mounts on every container it starts
/// (a stop empties it, so this happens after every start) and starts sshd
/// at once, while redock hands its public key in (through `docker exec`,
/// or on the container's input, see [`crate::KEYS_INPUT_LABEL`]), then,
/// once sshd listens, hands PID 1 to supervisord, which reaps orphans, is
/// sshd's parent and runs the user's
/// own services from /etc/supervisor/conf.d. Both log to the container's
/// output. Without that tmpfs it makes no key (it would be saved with the
/// container) and sshd waits for one.
pub(crate) const INIT_SCRIPT: &str = r#"#!/bin/sh
# redock's container command (installed by redock's base recipe).
set -e
mkdir -p /run/sshd
chmod 0755 /run/sshd
keys=/run/redock
key=$keys/ssh_host_ed25519_key
# The host key is made on the tmpfs redock mounts on /run/redock (no image
# ever holds it), and only there: in a container without it (plain `docker
# run`) the key would be saved with the container. redock's key hand-in
# makes one the same way when it comes first; the first link wins, and
# sshd reads the key that won. Its public half is linked beside it only
# when this script's won.
on_tmpfs=
while read -r _ point type _; do
    if [ "$point" = "$keys" ] && [ "$type" = tmpfs ]; then on_tmpfs=1; fi
done < /proc/mounts
# Whether sshd listens on port 22, by the container's own sockets.
listening() {
    for table in /proc/net/tcp /proc/net/tcp6; do
        [ -r "$table" ] || continue
        while read -r _ address _ state _; do
            case "$address:$state" in
                *:0016:0A) return 0 ;;
            esac
        done < "$table"
    done
    return 1
}
# redock's start can hand its public key in on the container's input, a
# pipe only when it asked for one (`docker run -i`): one line `redock-key
# KEY`. The host public key then goes out on the container's output, and a
# line once sshd listens, so that no `docker exec` is needed. Other input
# is left alone, and none waits more than 5 s (a `docker start` of such a
# container keeps its input open without writing to it).
if [ -n "$on_tmpfs" ] && [ -p /dev/stdin ]; then
    # A list run in the background reads /dev/null unless told otherwise.
    exec 3<&0
    (
        exec 3<&-
        line=$(timeout 5 head -n 1) || exit 0
        case "$line" in
            "redock-key "*) ;;
            *) exit 0 ;;
        esac
        umask 077
        printf '%s\n' "${line#redock-key }" > "$keys/authorized_keys.init"
        mv -f "$keys/authorized_keys.init" "$keys/authorized_keys"
        # The public half comes a moment after the key, unless redock's
        # hand-in made the key: then it is derived.
        n=0
        until [ -s "$key.pub" ]; do
            if [ -s "$key" ] && [ "$n" -ge 5 ]; then break; fi
            if [ "$n" -ge 500 ]; then exit 0; fi
            n=$((n + 1))
            sleep 0.01
        done
        if [ -s "$key.pub" ]; then
            read -r public < "$key.pub"
        else
            public=$(ssh-keygen -y -f "$key")
        fi
        printf 'redock-host-key %s\n' "$public"
        n=0
        until listening; do
            if [ "$n" -ge 500 ]; then exit 0; fi
            n=$((n + 1))
            sleep 0.01
        done
        echo redock-listening
    ) <&3 &
    exec 3<&-
fi
if [ -n "$on_tmpfs" ] && [ ! -s "$key" ]; then
    (
        umask 077
        rm -f "$key.init" "$key.init.pub"
        ssh-keygen -q -t ed25519 -N '' -f "$key.init" < /dev/null
        if ln "$key.init" "$key" 2>/dev/null; then
            ln "$key.init.pub" "$key.pub"
        fi
        rm -f "$key.init" "$key.init.pub"
    ) || :
fi
# sshd stays in the foreground with its log on stderr, so that its log is
# the container's output (`redock logs`) next to supervisord's;
# supervisord, PID 1 from the last line on, is its parent. Without a key
# it looks every 10 ms for 5 s, then every second, without costing
# anything.
(
    n=0
    while [ ! -s "$key" ]; do
        if [ "$n" -lt 500 ]; then n=$((n + 1)); sleep 0.01; else sleep 1; fi
    done
    exec /usr/sbin/sshd -D -e
) &
# supervisord starts once sshd listens (2 s at most), so that sshd, which
# every connection needs, does not wait behind it for the CPU.
if [ -s "$key" ]; then
    n=0
    until listening || [ "$n" -ge 200 ]; do
        n=$((n + 1))
        sleep 0.01
    done
fi
exec supervisord -n -c /etc/supervisor/supervisord.conf
"#;

/// sshd settings. sshd keeps the first value it reads for a keyword, and
/// the drop-in directory is included at the top of sshd_config, so these win
/// over the distribution's defaults further down. The host key and redock's
/// public key are on the tmpfs [`crate::KEYS_DIR`]; a user's own
/// `~/.ssh/authorized_keys` comes first and is never written by redock.
pub(crate) const SSHD_CONFIG: &str = "\
# Written by redock's base recipe.
HostKey /run/redock/ssh_host_ed25519_key
AuthorizedKeysFile .ssh/authorized_keys /run/redock/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
";

/// The steps of the recipe as it is without a mirror and extra packages,
/// as (title, script).
const STEPS: &[(&str, &str)] = &[
    (
        "configuring apt (no recommended or suggested packages)",
        r#"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "apt-get not found: the base recipe needs a Debian or Ubuntu image" >&2
    exit 1
fi
cat > /etc/apt/apt.conf.d/99redock <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
EOF
"#,
    ),
    (
        "updating the package lists",
        r#"
DEBIAN_FRONTEND=noninteractive apt-get update
"#,
    ),
    (
        "installing openssh-server and supervisor",
        r#"
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openssh-server supervisor
"#,
    ),
    (
        "configuring sshd (root by key only, no passwords)",
        r#"
mkdir -p /etc/ssh/sshd_config.d /run/sshd /root/.ssh
chmod 700 /root/.ssh
# Without PAM, sshd refuses even keys to an account locked with "!"; "*"
# still has no password that could match.
sed -i -E 's/^root:![^:]*:/root:*:/' /etc/shadow
cat > /etc/ssh/sshd_config.d/00-redock.conf <<'EOF'
@SSHD_CONFIG@EOF
# Older sshd_config files include no drop-ins: add the line at the top.
if ! grep -Eq '^[[:space:]]*Include[[:space:]]+/etc/ssh/sshd_config\.d/' /etc/ssh/sshd_config; then
    sed -i '1i Include /etc/ssh/sshd_config.d/*.conf' /etc/ssh/sshd_config
fi
# Only the ed25519 key exists, so sshd must not look for others.
sed -i -E 's/^[[:space:]]*HostKey[[:space:]]/#&/' /etc/ssh/sshd_config
# The mount point of the tmpfs redock's keys go on.
mkdir -p /run/redock
chmod 0700 /run/redock
# Check the configuration with a throwaway key, removed at once.
rm -f /etc/ssh/ssh_host_*
ssh-keygen -q -t ed25519 -N '' -f /run/redock/ssh_host_ed25519_key
/usr/sbin/sshd -t
rm -f /run/redock/ssh_host_ed25519_key /run/redock/ssh_host_ed25519_key.pub
"#,
    ),
    (
        "installing the init script /usr/local/sbin/redock-init",
        r#"
mkdir -p /usr/local/sbin
cat > /usr/local/sbin/redock-init <<'REDOCK_INIT_EOF'
@INIT_SCRIPT@REDOCK_INIT_EOF
chmod 755 /usr/local/sbin/redock-init
"#,
    ),
    (
        "removing host keys and apt caches",
        r#"
# A host key in the image would be shared by every container made from it.
rm -f /etc/ssh/ssh_host_* /run/redock/*
apt-get clean
rm -rf /var/lib/apt/lists/*
"#,
    ),
];

/// Points the distribution's main archive at the mirror `@MIRROR@` (a
/// shell word), in classic `sources.list` files and deb822 `.sources`
/// files alike.
///
/// The main archive is the URI of every source of the release's own suite
/// (`VERSION_CODENAME` of /etc/os-release) with component `main`; every
/// entry with that URI (the release, `-updates`, `-backports`) is pointed
/// at the mirror. The security suite has a URI of its own (Debian's
/// security archive, Ubuntu's security host) and keeps it, as do
/// third-party sources: security fixes come from the distribution itself,
/// not from a mirror that may lag behind. Where that source cannot be
/// reached apt warns and goes on.
const POINT_AT_MIRROR: &str = r#"
mirror=@MIRROR@
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
if [ -z "$codename" ]; then
    echo "/etc/os-release names no VERSION_CODENAME: cannot tell which release to fetch from the mirror" >&2
    exit 1
fi
# Classic one-line sources: "deb [options] URI SUITE COMPONENT...".
classic='
function norm(u) { sub(/\/+$/, "", u); return u }
function archive(u) { return index("\n" ENVIRON["ARCHIVE"] "\n", "\n" norm(u) "\n") > 0 }
{
    u = 0
    if ($1 == "deb" || $1 == "deb-src") {
        u = 2
        if ($2 ~ /^\[/) { while (u < NF && $u !~ /\]$/) u++; u++ }
        if (u >= NF) u = 0
    }
    if (mode == "find") {
        if (u && $1 == "deb" && $(u + 1) == ENVIRON["CODENAME"])
            for (c = u + 2; c <= NF; c++) if ($c == "main") print norm($u)
        next
    }
    if (u && archive($u)) $u = ENVIRON["MIRROR"]
    print
}'
# deb822 stanzas: "Types:", "URIs:", "Suites:", "Components:" fields.
deb822='
function norm(u) { sub(/\/+$/, "", u); return u }
function archive(u) { return index("\n" ENVIRON["ARCHIVE"] "\n", "\n" norm(u) "\n") > 0 }
function flush(   i) {
    if (mode == "find" && deb && suite && main)
        for (i = 1; i <= nuris; i++) print norm(uris[i])
    deb = 0; suite = 0; main = 0; nuris = 0
}
/^[ \t]*$/ { flush() }
{
    colon = index($0, ":")
    if ($0 ~ /^[ \t#]/ || colon == 0) { if (mode != "find") print; next }
    name = tolower(substr($0, 1, colon - 1))
    n = split(substr($0, colon + 1), v)
    hit = 0
    for (i = 1; i <= n; i++) {
        if (name == "types" && v[i] == "deb") deb = 1
        if (name == "suites" && v[i] == ENVIRON["CODENAME"]) suite = 1
        if (name == "components" && v[i] == "main") main = 1
        if (name == "uris") { uris[++nuris] = v[i]; if (archive(v[i])) hit = 1 }
    }
    if (mode == "find") next
    if (hit) print "URIs: " ENVIRON["MIRROR"]; else print
}
END { flush() }'
export MIRROR="$mirror" CODENAME="$codename"
ARCHIVE=$(
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        if [ -f "$f" ]; then awk -v mode=find "$classic" "$f"; fi
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        if [ -f "$f" ]; then awk -v mode=find "$deb822" "$f"; fi
    done
)
export ARCHIVE
if [ -z "$ARCHIVE" ]; then
    echo "no apt source of $codename main: the mirror becomes the one source"
    echo "deb $mirror $codename main" >> /etc/apt/sources.list
else
    echo "pointing" $ARCHIVE "at $mirror"
    tmp=$(mktemp)
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        if [ -f "$f" ]; then awk -v mode=rewrite "$classic" "$f" > "$tmp"; cat "$tmp" > "$f"; fi
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        if [ -f "$f" ]; then awk -v mode=rewrite "$deb822" "$f" > "$tmp"; cat "$tmp" > "$f"; fi
    done
    rm -f "$tmp"
fi
"#;

/// Checks, after [`POINT_AT_MIRROR`], that the mirror serves the release:
/// one small file, `dists/<release>/InRelease` (or `Release`), fetched
/// with apt's own downloader (through the build's proxy, if any). apt-get
/// update would only warn where the mirror cannot be reached, and the
/// build would fail later without naming it.
const CHECK_MIRROR: &str = r#"
check=$(mktemp -d)
found=
for file in InRelease Release; do
    url="${mirror%/}/dists/$codename/$file"
    if /usr/lib/apt/apt-helper -o APT::Sandbox::User=root download-file "$url" "$check/$file"; then
        found=$url
        break
    fi
done
rm -rf "$check"
if [ -z "$found" ]; then
    echo "the mirror $mirror does not serve $codename: no dists/$codename/InRelease or Release" >&2
    exit 1
fi
"#;

/// Installs the extra packages `@PACKAGES@` (checked names).
const PACKAGES_SCRIPT: &str = r#"
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends @PACKAGES@
"#;

/// The steps of the recipe for a mirror (validated) and extra packages
/// (validated): without either, exactly [`STEPS`]. A mirror adds a step
/// after apt's configuration, before anything is fetched; packages add one
/// after sshd and supervisor are installed.
pub(crate) fn steps(mirror: Option<&str>, packages: &[String]) -> Vec<Step> {
    let mut steps: Vec<Step> = STEPS.iter().map(|(t, s)| Step::new(*t, *s)).collect();
    let mut packages: Vec<&str> = packages.iter().map(String::as_str).collect();
    packages.sort_unstable();
    packages.dedup();
    if !packages.is_empty() {
        let list = packages.join(" ");
        let step = Step::new(
            format!("installing {list}"),
            PACKAGES_SCRIPT.replace("@PACKAGES@", &list),
        );
        steps.insert(3, step);
    }
    if let Some(mirror) = mirror {
        let mut step = Step::new(
            format!("pointing apt at the mirror {mirror}"),
            format!("{POINT_AT_MIRROR}{CHECK_MIRROR}").replace("@MIRROR@", &sh_quote(mirror)),
        );
        step.mirror = Some(mirror.to_string());
        steps.insert(1, step);
    }
    steps
}

/// `word` as one single-quoted shell word.
pub(crate) fn sh_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// The script that gives an image made from a base of an earlier recipe
/// this recipe's init script and sshd settings, the mount point of the
/// keys' tmpfs, and no host key: what of the recipe has to do with keys.
pub(crate) fn refresh_script() -> String {
    format!(
        "set -e
mkdir -p /etc/ssh/sshd_config.d /usr/local/sbin /run/redock
cat > /etc/ssh/sshd_config.d/00-redock.conf <<'EOF'
{SSHD_CONFIG}EOF
cat > /usr/local/sbin/redock-init <<'REDOCK_INIT_EOF'
{INIT_SCRIPT}REDOCK_INIT_EOF
chmod 755 /usr/local/sbin/redock-init
chmod 0700 /run/redock
rm -f /etc/ssh/ssh_host_* /run/redock/*
"
    )
}

/// The line the build script prints before each step; the build reads it
/// back to report progress and to name the step that failed.
pub(crate) const MARKER: &str = "@@redock-base-step ";

/// A step's script with the files it writes filled in.
pub(crate) fn script(step: &Step) -> String {
    step.script
        .replace("@SSHD_CONFIG@", SSHD_CONFIG)
        .replace("@INIT_SCRIPT@", INIT_SCRIPT)
}

/// The whole build as one script for `/bin/sh -s`: every step in a
/// subshell with `-e`, a marker before each, stderr folded into stdout so
/// that both arrive in order. An apt proxy is exported as `http_proxy`
/// (which apt reads for http sources) by this script alone: it reaches the
/// build container on its standard input, so no file of the image and no
/// configuration of the container holds it.
pub(crate) fn build_script(steps: &[Step], apt_proxy: Option<&str>) -> String {
    let mut text = String::from("exec 2>&1\nset -e\n");
    if let Some(proxy) = apt_proxy {
        text.push_str(&format!(
            "http_proxy={}\nexport http_proxy\n",
            sh_quote(proxy)
        ));
    }
    for (index, step) in steps.iter().enumerate() {
        text.push_str(&format!("echo '{MARKER}{}'\n(\nset -e\n", index + 1));
        text.push_str(&script(step));
        text.push_str("\n)\n");
    }
    text
}

/// The version of a recipe of `steps`: 16 hex digits of the same hash as
/// [`VERSION`], over these steps' scripts, so that the recipe without a
/// mirror and extra packages keeps [`VERSION`].
pub(crate) fn version(steps: &[Step]) -> String {
    let parts = [INIT_SCRIPT, SSHD_CONFIG]
        .into_iter()
        .chain(steps.iter().map(|s| s.script.as_str()));
    let hash = parts.fold(StableHash::new(), |hash, part| {
        hash.write(part.as_bytes()).separator()
    });
    format!("{:016x}", hash.finish())
}

/// FNV-1a over the recipe's text, computed at compile time.
const fn recipe_hash() -> u64 {
    let parts: [&str; 2] = [INIT_SCRIPT, SSHD_CONFIG];
    let mut hash = StableHash::new();
    let mut p = 0;
    while p < parts.len() + STEPS.len() {
        let bytes = if p < parts.len() {
            parts[p].as_bytes()
        } else {
            STEPS[p - parts.len()].1.as_bytes()
        };
        hash = hash.write(bytes).separator();
        p += 1;
    }
    hash.finish()
}

const fn hex(value: u64) -> [u8; 16] {
    let digits = b"0123456789abcdef";
    let mut out = [0u8; 16];
    let mut i = 0;
    while i < 16 {
        out[i] = digits[((value >> (60 - 4 * i)) & 0xf) as usize];
        i += 1;
    }
    out
}

const VERSION_BYTES: [u8; 16] = hex(recipe_hash());

/// The recipe's version: 16 hex digits of its hash.
pub(crate) const VERSION: &str = match std::str::from_utf8(&VERSION_BYTES) {
    Ok(version) => version,
    Err(_) => panic!("hex digits are UTF-8"),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_hex_of_the_hash() {
        assert_eq!(VERSION.len(), 16);
        assert!(VERSION.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(u64::from_str_radix(VERSION, 16).unwrap(), recipe_hash());
    }

    #[test]
    fn scripts_embed_the_files_whole() {
        let all = build_script(&steps(None, &[]), None);
        assert!(!all.contains("@SSHD_CONFIG@") && !all.contains("@INIT_SCRIPT@"));
        assert!(all.contains(SSHD_CONFIG));
        assert!(all.contains(INIT_SCRIPT));
        // Heredoc terminators must stand on their own lines.
        assert!(all.contains("UsePAM no\nEOF\n"));
        assert!(all.contains("\nREDOCK_INIT_EOF\n"));
    }

    #[test]
    fn one_marker_per_step_in_order() {
        let steps = steps(Some("http://mirror.example/debian"), &["curl".into()]);
        let all = build_script(&steps, None);
        let markers: Vec<&str> = all.lines().filter(|l| l.contains(MARKER)).collect();
        assert_eq!(markers.len(), STEPS.len() + 2);
        for (i, line) in markers.iter().enumerate() {
            assert_eq!(*line, format!("echo '{MARKER}{}'", i + 1));
        }
    }

    #[test]
    fn build_script_is_valid_shell() {
        let odd = "http://mirror.example/it's $(here)";
        for script in [
            build_script(&steps(None, &[]), None),
            build_script(&steps(Some(odd), &["curl".into()]), Some(odd)),
        ] {
            let status = std::process::Command::new("sh")
                .args(["-n", "-c", &script])
                .status()
                .unwrap();
            assert!(status.success());
        }
    }

    #[test]
    fn without_a_mirror_and_packages_the_recipe_and_its_version_are_unchanged() {
        let plain = steps(None, &[]);
        let titles: Vec<&str> = plain.iter().map(|s| s.title.as_str()).collect();
        let scripts: Vec<&str> = plain.iter().map(|s| s.script.as_str()).collect();
        assert_eq!(titles, STEPS.iter().map(|s| s.0).collect::<Vec<_>>());
        assert_eq!(scripts, STEPS.iter().map(|s| s.1).collect::<Vec<_>>());
        assert_eq!(version(&plain), VERSION);
    }

    #[test]
    fn a_mirror_and_packages_are_steps_of_their_own_and_change_the_version() {
        let mirror = "http://mirror.example/debian";
        let both = steps(Some(mirror), &["git".into(), "curl".into(), "git".into()]);
        let titles: Vec<&str> = both.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles[0], STEPS[0].0);
        assert_eq!(
            titles[1],
            "pointing apt at the mirror http://mirror.example/debian"
        );
        assert_eq!(titles[2], STEPS[1].0);
        assert_eq!(titles[4], "installing curl git");
        assert_eq!(both[1].mirror.as_deref(), Some(mirror));
        assert!(both[1]
            .script
            .contains("mirror='http://mirror.example/debian'\n"));
        assert!(both[4]
            .script
            .contains("--no-install-recommends curl git\n"));

        let versions = [
            version(&steps(None, &[])),
            version(&steps(Some(mirror), &[])),
            version(&steps(Some("http://other.example/debian"), &[])),
            version(&steps(None, &["curl".into()])),
            version(&steps(None, &["curl".into(), "git".into()])),
            version(&both),
        ];
        for (i, a) in versions.iter().enumerate() {
            for b in &versions[i + 1..] {
                assert_ne!(a, b);
            }
        }
        // The list is a set: order and repeats do not matter.
        assert_eq!(
            version(&steps(None, &["git".into(), "curl".into()])),
            version(&steps(None, &["curl".into(), "git".into(), "curl".into()]))
        );
    }

    #[test]
    fn the_apt_proxy_is_in_the_script_only_and_not_in_the_version() {
        let proxy = "http://user:secret@proxy.example:3142";
        let plain = steps(None, &[]);
        let script = build_script(&plain, Some(proxy));
        let prelude: String = script.lines().take(4).collect::<Vec<_>>().join("\n");
        assert_eq!(
            prelude,
            "exec 2>&1\nset -e\nhttp_proxy='http://user:secret@proxy.example:3142'\nexport http_proxy"
        );
        assert_eq!(script.matches("secret").count(), 1);
        assert_eq!(version(&plain), VERSION);
    }

    /// Runs [`POINT_AT_MIRROR`] on a copy of /etc/apt and /etc/os-release
    /// made of `files` in a temporary directory, with the host's `sh` and
    /// `awk` (the image has the same POSIX tools); returns every file after.
    fn point_at_mirror(files: &[(&str, &str)]) -> Vec<(String, String)> {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().display().to_string();
        std::fs::create_dir_all(dir.path().join("etc/apt/sources.list.d")).unwrap();
        for (path, text) in files {
            std::fs::write(dir.path().join(path), text).unwrap();
        }
        let script = POINT_AT_MIRROR
            .replace("@MIRROR@", &sh_quote("http://mirror.example/os/"))
            .replace("/etc/", &format!("{root}/etc/"));
        let out = std::process::Command::new("sh")
            .args(["-e", "-c", &script])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut after = Vec::new();
        for dir in ["etc/apt", "etc/apt/sources.list.d"] {
            let mut names: Vec<_> = std::fs::read_dir(format!("{root}/{dir}"))
                .unwrap()
                .flatten()
                .filter(|e| e.path().is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for name in names {
                let text = std::fs::read_to_string(format!("{root}/{dir}/{name}")).unwrap();
                after.push((format!("{dir}/{name}"), text));
            }
        }
        after
    }

    fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect()
    }

    const DEBIAN: &str = "VERSION_CODENAME=bookworm\nID=debian\n";
    const UBUNTU: &str = "VERSION_CODENAME=noble\nID=ubuntu\n";

    #[test]
    fn mirror_in_classic_debian_sources() {
        let before = "deb http://archive.example/debian bookworm main\n\
                      deb http://archive.example/debian/ bookworm-updates main\n\
                      deb http://security.example/debian-security bookworm-security main\n\
                      # deb-src http://archive.example/debian bookworm main\n";
        let after =
            point_at_mirror(&[("etc/os-release", DEBIAN), ("etc/apt/sources.list", before)]);
        assert_eq!(
            after,
            files(&[(
                "etc/apt/sources.list",
                "deb http://mirror.example/os/ bookworm main\n\
                 deb http://mirror.example/os/ bookworm-updates main\n\
                 deb http://security.example/debian-security bookworm-security main\n\
                 # deb-src http://archive.example/debian bookworm main\n"
            )])
        );
    }

    #[test]
    fn mirror_in_deb822_debian_sources() {
        let before = "Types: deb\n\
                      # a comment inside the stanza\n\
                      URIs: http://archive.example/debian\n\
                      Suites: bookworm bookworm-updates\n\
                      Components: main\n\
                      Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\
                      \n\
                      Types: deb\n\
                      URIs: http://archive.example/debian-security\n\
                      Suites: bookworm-security\n\
                      Components: main\n\
                      Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n";
        let after = point_at_mirror(&[
            ("etc/os-release", DEBIAN),
            ("etc/apt/sources.list.d/debian.sources", before),
        ]);
        assert_eq!(
            after,
            files(&[(
                "etc/apt/sources.list.d/debian.sources",
                &before.replacen(
                    "URIs: http://archive.example/debian\n",
                    "URIs: http://mirror.example/os/\n",
                    1
                )
            )])
        );
    }

    #[test]
    fn mirror_in_classic_ubuntu_sources_leaves_security_and_third_parties() {
        let before = "deb http://archive.example/ubuntu/ noble main restricted\n\
                      deb http://archive.example/ubuntu/ noble-updates main restricted\n\
                      deb http://archive.example/ubuntu/ noble universe\n\
                      deb-src http://archive.example/ubuntu/ noble main restricted\n\
                      deb http://archive.example/ubuntu/ noble-backports main restricted universe multiverse\n\
                      deb http://security.example/ubuntu/ noble-security main restricted\n";
        let third = "deb [arch=amd64 signed-by=/etc/apt/keyrings/vendor.gpg] https://vendor.example/linux/ubuntu noble stable\n";
        let after = point_at_mirror(&[
            ("etc/os-release", UBUNTU),
            ("etc/apt/sources.list", before),
            ("etc/apt/sources.list.d/vendor.list", third),
        ]);
        assert_eq!(
            after,
            files(&[
                (
                    "etc/apt/sources.list",
                    &before.replace(
                        "http://archive.example/ubuntu/",
                        "http://mirror.example/os/"
                    )
                ),
                ("etc/apt/sources.list.d/vendor.list", third),
            ])
        );
    }

    #[test]
    fn mirror_in_deb822_ubuntu_sources_with_options_in_classic_lines() {
        let before = "Types: deb\n\
                      URIs: http://archive.example/ubuntu/\n\
                      Suites: noble noble-updates noble-backports\n\
                      Components: main restricted universe multiverse\n\
                      Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n\
                      \n\
                      Types: deb\n\
                      URIs: http://security.example/ubuntu/\n\
                      Suites: noble-security\n\
                      Components: main restricted universe multiverse\n\
                      Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n";
        let extra = "deb [ arch=amd64 ] http://archive.example/ubuntu noble-proposed main\n";
        let after = point_at_mirror(&[
            ("etc/os-release", UBUNTU),
            ("etc/apt/sources.list.d/ubuntu.sources", before),
            ("etc/apt/sources.list.d/proposed.list", extra),
        ]);
        assert_eq!(
            after,
            files(&[
                (
                    "etc/apt/sources.list.d/proposed.list",
                    "deb [ arch=amd64 ] http://mirror.example/os/ noble-proposed main\n"
                ),
                (
                    "etc/apt/sources.list.d/ubuntu.sources",
                    &before.replacen(
                        "URIs: http://archive.example/ubuntu/\n",
                        "URIs: http://mirror.example/os/\n",
                        1
                    )
                ),
            ])
        );
    }

    #[test]
    fn mirror_without_sources_becomes_the_one_source() {
        let after = point_at_mirror(&[("etc/os-release", DEBIAN)]);
        assert_eq!(
            after,
            files(&[(
                "etc/apt/sources.list",
                "deb http://mirror.example/os/ bookworm main\n"
            )])
        );
    }

    #[test]
    fn sshd_refuses_passwords_and_reads_redocks_keys_from_the_tmpfs() {
        let lines: Vec<&str> = SSHD_CONFIG.lines().collect();
        let host_key = format!("HostKey {}", crate::HOST_KEY);
        // The user's own keys first, redock's after them.
        let authorized = format!(
            "AuthorizedKeysFile .ssh/authorized_keys {}",
            crate::AUTHORIZED_KEYS
        );
        for wanted in [
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            &host_key,
            &authorized,
        ] {
            assert!(lines.contains(&wanted), "{wanted}");
        }
        assert_eq!(lines.iter().filter(|l| l.starts_with("HostKey")).count(), 1);
        assert!(crate::HOST_KEY.starts_with(crate::KEYS_DIR));
        assert!(crate::AUTHORIZED_KEYS.starts_with(crate::KEYS_DIR));
    }

    #[test]
    fn init_script_makes_the_host_key_on_the_tmpfs_then_runs_sshd_beside_supervisord() {
        let key = format!("keys={}\nkey=$keys/ssh_host_ed25519_key\n", crate::KEYS_DIR);
        assert!(INIT_SCRIPT.contains(&key));
        assert_eq!(
            format!("{}/ssh_host_ed25519_key", crate::KEYS_DIR),
            crate::HOST_KEY
        );
        let tmpfs = INIT_SCRIPT.find(r#"[ "$type" = tmpfs ]"#).unwrap();
        let made = INIT_SCRIPT.find(r#"ln "$key.init" "$key""#).unwrap();
        let wait = INIT_SCRIPT.find(r#"while [ ! -s "$key" ]; do"#).unwrap();
        let sshd = INIT_SCRIPT.find("exec /usr/sbin/sshd -D -e").unwrap();
        let supervisord = INIT_SCRIPT.find("exec supervisord -n").unwrap();
        assert!(tmpfs < made && made < wait && wait < sshd && sshd < supervisord);
        let status = std::process::Command::new("sh")
            .args(["-n", "-c", INIT_SCRIPT])
            .status()
            .unwrap();
        assert!(status.success());
    }

    #[test]
    fn the_refresh_writes_this_recipes_files_and_is_valid_shell() {
        let script = refresh_script();
        assert!(script.contains(SSHD_CONFIG) && script.contains(INIT_SCRIPT));
        assert!(script.ends_with("rm -f /etc/ssh/ssh_host_* /run/redock/*\n"));
        let status = std::process::Command::new("sh")
            .args(["-n", "-c", &script])
            .status()
            .unwrap();
        assert!(status.success());
    }

    #[test]
    fn the_build_leaves_no_key_in_the_image() {
        let all = build_script(&steps(None, &[]), None);
        let last = all
            .rfind("rm -f /etc/ssh/ssh_host_* /run/redock/*")
            .unwrap();
        assert!(all.rfind("ssh-keygen").unwrap() < last);
    }
}
