//! The recipe: shell scripts run in order inside one build container made
//! from a Debian or Ubuntu image, and the configuration the result gets.
//!
//! The recipe's version is a hash of its text, so any change to a script
//! changes the label and makes existing base images out of date.

/// One step: what progress shows, and the `/bin/sh` script that does it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Step {
    pub(crate) title: &'static str,
    pub(crate) script: &'static str,
}

/// The init script, the image's command: it makes the host key the image
/// must not carry, starts sshd first (the quickest way to a reachable
/// container) and then hands PID 1 to supervisord, which reaps orphans and
/// runs the user's own services from /etc/supervisor/conf.d. Both log to
/// the container's output.
pub(crate) const INIT_SCRIPT: &str = r#"#!/bin/sh
# redock's container command (installed by redock's base recipe).
set -e
key=/etc/ssh/ssh_host_ed25519_key
if [ ! -s "$key" ]; then
    rm -f "$key" "$key.pub"
    ssh-keygen -q -t ed25519 -N '' -f "$key"
fi
mkdir -p /run/sshd
chmod 0755 /run/sshd
# sshd stays in the foreground with its log on stderr, so that its log is
# the container's output (`redock logs`) next to supervisord's; supervisord,
# PID 1 from the next line on, is its parent and reaps it.
/usr/sbin/sshd -D -e &
exec supervisord -n -c /etc/supervisor/supervisord.conf
"#;

/// sshd settings. sshd keeps the first value it reads for a keyword, and
/// the drop-in directory is included at the top of sshd_config, so these win
/// over the distribution's defaults further down.
pub(crate) const SSHD_CONFIG: &str = "\
# Written by redock's base recipe.
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
";

pub(crate) const STEPS: &[Step] = &[
    Step {
        title: "configuring apt (no recommended or suggested packages)",
        script: r#"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "apt-get not found: the base recipe needs a Debian or Ubuntu image" >&2
    exit 1
fi
cat > /etc/apt/apt.conf.d/99redock <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
EOF
"#,
    },
    Step {
        title: "updating the package lists",
        script: r#"
DEBIAN_FRONTEND=noninteractive apt-get update
"#,
    },
    Step {
        title: "installing openssh-server and supervisor",
        script: r#"
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openssh-server supervisor
"#,
    },
    Step {
        title: "configuring sshd (root by key only, no passwords)",
        script: r#"
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
# Check the configuration with a throwaway key (removed in the last step).
rm -f /etc/ssh/ssh_host_*
ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
/usr/sbin/sshd -t
"#,
    },
    Step {
        title: "installing the init script /usr/local/sbin/redock-init",
        script: r#"
mkdir -p /usr/local/sbin
cat > /usr/local/sbin/redock-init <<'REDOCK_INIT_EOF'
@INIT_SCRIPT@REDOCK_INIT_EOF
chmod 755 /usr/local/sbin/redock-init
"#,
    },
    Step {
        title: "removing host keys and apt caches",
        script: r#"
# A host key in the image would be shared by every container made from it.
rm -f /etc/ssh/ssh_host_*
apt-get clean
rm -rf /var/lib/apt/lists/*
"#,
    },
];

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
/// that both arrive in order.
pub(crate) fn build_script(steps: &[Step]) -> String {
    let mut text = String::from("exec 2>&1\nset -e\n");
    for (index, step) in steps.iter().enumerate() {
        text.push_str(&format!("echo '{MARKER}{}'\n(\nset -e\n", index + 1));
        text.push_str(&script(step));
        text.push_str("\n)\n");
    }
    text
}

/// FNV-1a over the recipe's text, computed at compile time.
const fn recipe_hash() -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let parts: [&str; 2] = [INIT_SCRIPT, SSHD_CONFIG];
    let mut p = 0;
    while p < parts.len() + STEPS.len() {
        let bytes = if p < parts.len() {
            parts[p].as_bytes()
        } else {
            STEPS[p - parts.len()].script.as_bytes()
        };
        let mut i = 0;
        while i < bytes.len() {
            hash ^= bytes[i] as u64;
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            i += 1;
        }
        // A separator, so that moving text between parts changes the hash.
        hash ^= 0xff;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        p += 1;
    }
    hash
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
        let all = build_script(STEPS);
        assert!(!all.contains("@SSHD_CONFIG@") && !all.contains("@INIT_SCRIPT@"));
        assert!(all.contains(SSHD_CONFIG));
        assert!(all.contains(INIT_SCRIPT));
        // Heredoc terminators must stand on their own lines.
        assert!(all.contains("UsePAM no\nEOF\n"));
        assert!(all.contains("\nREDOCK_INIT_EOF\n"));
    }

    #[test]
    fn one_marker_per_step_in_order() {
        let all = build_script(STEPS);
        let markers: Vec<&str> = all.lines().filter(|l| l.contains(MARKER)).collect();
        assert_eq!(markers.len(), STEPS.len());
        for (i, line) in markers.iter().enumerate() {
            assert_eq!(*line, format!("echo '{MARKER}{}'", i + 1));
        }
    }

    #[test]
    fn build_script_is_valid_shell() {
        let status = std::process::Command::new("sh")
            .args(["-n", "-c", &build_script(STEPS)])
            .status()
            .unwrap();
        assert!(status.success());
    }

    #[test]
    fn sshd_refuses_passwords_and_uses_one_key() {
        let lines: Vec<&str> = SSHD_CONFIG.lines().collect();
        for wanted in [
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            "HostKey /etc/ssh/ssh_host_ed25519_key",
        ] {
            assert!(lines.contains(&wanted), "{wanted}");
        }
        assert_eq!(lines.iter().filter(|l| l.starts_with("HostKey")).count(), 1);
    }

    #[test]
    fn init_script_makes_the_key_then_runs_sshd_then_supervisord() {
        let keygen = INIT_SCRIPT.find("ssh-keygen").unwrap();
        let sshd = INIT_SCRIPT.find("/usr/sbin/sshd").unwrap();
        let supervisord = INIT_SCRIPT.find("exec supervisord -n").unwrap();
        assert!(keygen < sshd && sshd < supervisord);
    }
}
