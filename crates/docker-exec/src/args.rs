//! Pure argument-vector builders, one per docker call.
//!
//! Nothing here runs a program, so every vector is unit-tested as data. The
//! vectors leave out the program itself: [`crate::Docker`] puts it in front.

use std::ffi::OsString;
use std::path::Path;

use crate::{CreateSpec, ImageInfo};

/// The format that makes `docker ps`, `version` and `context inspect` print JSON.
pub const JSON_FORMAT: &str = "{{json .}}";

/// `docker ps` as JSON lines, naming only the fields redock reads: with
/// `{{json .}}` the CLI asks the engine for every container's disk size,
/// which took two seconds per call here. No state: Podman's `.State` is
/// "Up 5 seconds ago" where Docker's is "running", so only `inspect` says
/// what a container is doing.
pub const PS_FORMAT: &str = r#"{"ID":{{json .ID}},"Names":{{json .Names}},"Image":{{json .Image}},"Labels":{{json .Labels}}}"#;

/// Whether the call `args` (a vector from this module) only reads: the
/// calls a dry run still makes. A command `exec` runs reads only when it is
/// `cat FILE`, `test -s FILE` or `ssh-keygen -y -f FILE` (which prints a
/// key's public half) without input. Anything this does not know counts as
/// a change.
pub fn reads_only(args: &[OsString]) -> bool {
    let words: Vec<&str> = args.iter().map(|a| a.to_str().unwrap_or("")).collect();
    match words.as_slice() {
        ["version", ..] | ["ps", ..] | ["logs", ..] => true,
        ["image", "inspect" | "ls", ..] => true,
        ["container", "inspect", ..] => true,
        ["context", "inspect", ..] => true,
        ["exec", container, rest @ ..] if !container.starts_with('-') => {
            matches!(
                rest,
                ["cat", file] | ["test", "-s", file] | ["ssh-keygen", "-y", "-f", file]
                    if !file.starts_with('-')
            )
        }
        _ => false,
    }
}

fn os(items: &[&str]) -> Vec<OsString> {
    items.iter().map(OsString::from).collect()
}

/// `docker create [-i] [--name N] [--hostname H] [--label K=V…] [-p 127.0.0.1::22]
/// [--entrypoint E] IMAGE [COMMAND…]`.
pub fn create(spec: &CreateSpec) -> Vec<OsString> {
    made(os(&["create"]), spec)
}

/// `docker run -d …`, with what `create` takes: the container made and
/// started by one call.
pub fn run_detached(spec: &CreateSpec) -> Vec<OsString> {
    made(os(&["run", "-d"]), spec)
}

/// `docker run -i --sig-proxy=false --cidfile FILE …`, with what `create`
/// takes: the container made and started by one call that stays attached
/// to its input and output, and writes its id to `cidfile`. A signal to
/// the CLI is not passed on to the container.
pub fn run_attached(spec: &CreateSpec, cidfile: &std::path::Path) -> Vec<OsString> {
    let mut args = os(&["run", "-i", "--sig-proxy=false", "--cidfile"]);
    args.push(cidfile.into());
    made(args, spec)
}

/// `args` (`create` or `run -d`) followed by what makes the container
/// `spec` asks for.
fn made(mut args: Vec<OsString>, spec: &CreateSpec) -> Vec<OsString> {
    if spec.interactive {
        args.push("-i".into());
    }
    if let Some(name) = &spec.name {
        args.push("--name".into());
        args.push(name.into());
    }
    if let Some(hostname) = &spec.hostname {
        args.push("--hostname".into());
        args.push(hostname.into());
    }
    for (key, value) in &spec.labels {
        args.push("--label".into());
        args.push(format!("{key}={value}").into());
    }
    if spec.publish_ssh_on_loopback {
        // An empty host port lets the engine pick a free one; the host
        // address keeps sshd off every interface but loopback.
        args.push("-p".into());
        args.push("127.0.0.1::22".into());
    }
    for mount in &spec.tmpfs {
        args.push("--tmpfs".into());
        args.push(mount.into());
    }
    if let Some(entrypoint) = &spec.entrypoint {
        args.push("--entrypoint".into());
        args.push(entrypoint.into());
    }
    if spec.local_image_only {
        args.push("--pull".into());
        args.push("never".into());
    }
    args.push(spec.image.as_str().into());
    args.extend(spec.command.iter().map(OsString::from));
    args
}

/// `docker commit [-m MESSAGE] [-a AUTHOR] [-c CHANGE…] CONTAINER REFERENCE`.
pub fn commit(
    container: &str,
    reference: &str,
    message: Option<&str>,
    author: Option<&str>,
    changes: &[String],
) -> Vec<OsString> {
    let mut args = os(&["commit"]);
    if let Some(message) = message {
        args.extend(os(&["-m", message]));
    }
    if let Some(author) = author {
        args.extend(os(&["-a", author]));
    }
    for change in changes {
        args.extend(os(&["-c", change]));
    }
    args.extend(os(&[container, reference]));
    args
}

/// A `commit` vector with `--format docker` added: Podman's way to keep a
/// message, which its default OCI format has no room for (Docker's CLI
/// has no such option).
pub fn commit_in_docker_format(commit: Vec<OsString>) -> Vec<OsString> {
    let mut args = os(&["commit", "--format", "docker"]);
    args.extend(commit.into_iter().skip(1));
    args
}

/// `docker rm -f -v CONTAINER`: anonymous volumes go with the container.
pub fn rm(container: &str) -> Vec<OsString> {
    os(&["rm", "-f", "-v", container])
}

/// `docker rmi [-f] REFERENCE`.
pub fn rmi(reference: &str, force: bool) -> Vec<OsString> {
    if force {
        os(&["rmi", "-f", reference])
    } else {
        os(&["rmi", reference])
    }
}

/// `docker import [-c CHANGE…] SOURCE REFERENCE`; SOURCE `-` reads stdin.
pub fn import(source: &Path, reference: &str, changes: &[String]) -> Vec<OsString> {
    let mut args = os(&["import"]);
    for change in changes {
        args.extend(os(&["-c", change]));
    }
    args.push(source.into());
    args.push(reference.into());
    args
}

/// `docker export CONTAINER`: its file system as a tarball on stdout.
pub fn export(container: &str) -> Vec<OsString> {
    os(&["export", container])
}

/// `docker tag SOURCE TARGET`.
pub fn tag(source: &str, target: &str) -> Vec<OsString> {
    os(&["tag", source, target])
}

/// `docker logs [-f] [--tail N] CONTAINER`.
pub fn logs(container: &str, follow: bool, tail: Option<usize>) -> Vec<OsString> {
    let mut args = os(&["logs"]);
    if follow {
        args.push("-f".into());
    }
    if let Some(lines) = tail {
        args.push("--tail".into());
        args.push(lines.to_string().into());
    }
    args.push(container.into());
    args
}

/// `docker ps -a --no-trunc [--filter label=…] --format '{{json .}}'`.
pub fn ps(label_filters: &[String]) -> Vec<OsString> {
    let mut args = os(&["ps", "-a", "--no-trunc"]);
    for filter in label_filters {
        args.push("--filter".into());
        args.push(format!("label={filter}").into());
    }
    args.extend(os(&["--format", PS_FORMAT]));
    args
}

/// `docker image inspect REFERENCE`.
pub fn image_inspect(reference: &str) -> Vec<OsString> {
    os(&["image", "inspect", reference])
}

/// `docker image inspect REFERENCE…`.
pub fn image_inspect_many(references: &[String]) -> Vec<OsString> {
    let mut args = os(&["image", "inspect"]);
    args.extend(references.iter().map(OsString::from));
    args
}

/// `docker image ls` as JSON lines of the fields redock reads; Docker and
/// Podman both know these three.
pub const IMAGE_LS_FORMAT: &str =
    r#"{"ID":{{json .ID}},"Repository":{{json .Repository}},"Tag":{{json .Tag}}}"#;

/// `docker image ls --no-trunc --format … REPOSITORY`.
pub fn image_ls(repository: &str) -> Vec<OsString> {
    os(&[
        "image",
        "ls",
        "--no-trunc",
        "--format",
        IMAGE_LS_FORMAT,
        repository,
    ])
}

/// `docker container inspect CONTAINER…`.
pub fn container_inspect(containers: &[String]) -> Vec<OsString> {
    let mut args = os(&["container", "inspect"]);
    args.extend(containers.iter().map(OsString::from));
    args
}

/// `docker exec [-i] CONTAINER ARGV…`; `-i` only when there is input to feed.
pub fn exec(container: &str, argv: &[&str], interactive: bool) -> Vec<OsString> {
    let mut args = os(&["exec"]);
    if interactive {
        args.push("-i".into());
    }
    args.push(container.into());
    args.extend(argv.iter().map(OsString::from));
    args
}

/// `docker cp LOCAL CONTAINER:PATH`.
pub fn cp_into(local: &Path, container: &str, path: &str) -> Vec<OsString> {
    vec![
        "cp".into(),
        local.into(),
        format!("{container}:{path}").into(),
    ]
}

/// `docker unpause CONTAINER`.
pub fn unpause(container: &str) -> Vec<OsString> {
    os(&["unpause", container])
}

/// `docker start [-a] [-i] CONTAINER`.
pub fn start(container: &str, attach: bool, interactive: bool) -> Vec<OsString> {
    let mut args = os(&["start"]);
    if attach {
        args.push("-a".into());
    }
    if interactive {
        args.push("-i".into());
    }
    args.push(container.into());
    args
}

/// `docker version --format '{{json .}}'`.
pub fn version() -> Vec<OsString> {
    os(&["version", "--format", JSON_FORMAT])
}

/// `docker pull REFERENCE`.
pub fn pull(reference: &str) -> Vec<OsString> {
    os(&["pull", reference])
}

/// `docker context inspect NAME`, whose JSON names the endpoint.
pub fn context_inspect(name: &str) -> Vec<OsString> {
    os(&["context", "inspect", name])
}

/// Global options that name an engine (a context, or a `DOCKER_HOST`
/// value) on a command line, for a command that runs where the environment
/// may differ (ssh's `ProxyCommand`). Given both, the context is named.
pub fn connection(context: Option<&str>, host: Option<&str>) -> Vec<String> {
    match (context, host) {
        (Some(context), _) => vec!["--context".into(), context.into()],
        (None, Some(host)) => vec!["--host".into(), host.into()],
        (None, None) => Vec::new(),
    }
}

/// A value in double quotes for a Dockerfile instruction given with
/// `--change` (`ENV`, `LABEL`).
pub fn dockerfile_quote(value: &str) -> String {
    format!(
        "\"{}\"",
        value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('$', "\\$")
    )
}

/// The `--change` instructions that give an imported image the
/// configuration of `image` (CMD, ENTRYPOINT, ENV, WORKDIR, EXPOSE and the
/// labels `keep_label` accepts): `docker import` starts from none.
pub fn config_changes(image: &ImageInfo, keep_label: impl Fn(&str) -> bool) -> Vec<String> {
    let json = |argv: &[String]| serde_json::to_string(argv).unwrap_or_else(|_| "[]".into());
    let mut changes = Vec::new();
    for entry in &image.env {
        if let Some((key, value)) = entry.split_once('=') {
            changes.push(format!("ENV {key}={}", dockerfile_quote(value)));
        }
    }
    if !image.working_dir.is_empty() {
        changes.push(format!("WORKDIR {}", image.working_dir));
    }
    for port in &image.exposed_ports {
        changes.push(format!("EXPOSE {port}"));
    }
    for (key, value) in image.labels.iter().filter(|(k, _)| keep_label(k)) {
        changes.push(format!(
            "LABEL {}={}",
            dockerfile_quote(key),
            dockerfile_quote(value)
        ));
    }
    if !image.entrypoint.is_empty() {
        changes.push(format!("ENTRYPOINT {}", json(&image.entrypoint)));
    }
    if !image.cmd.is_empty() {
        changes.push(format!("CMD {}", json(&image.cmd)));
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every builder sorted into the calls that read and those that change
    /// something: a dry run runs only the first.
    #[test]
    fn which_calls_only_read() {
        let spec = CreateSpec {
            image: "alice:web".into(),
            ..CreateSpec::default()
        };
        let reading = [
            version(),
            ps(&["io.redock.name".into()]),
            logs("c", true, None),
            logs("c", false, Some(20)),
            image_inspect("alice:web"),
            image_inspect_many(&["a".into(), "b".into()]),
            image_ls("alice"),
            container_inspect(&["c".into()]),
            context_inspect("remote"),
            exec("c", &["cat", "/etc/ssh/ssh_host_ed25519_key.pub"], false),
            exec(
                "c",
                &["test", "-s", "/etc/ssh/ssh_host_ed25519_key.pub"],
                false,
            ),
            exec(
                "c",
                &["ssh-keygen", "-y", "-f", "/run/redock/ssh_host_ed25519_key"],
                false,
            ),
        ];
        for args in reading {
            assert!(reads_only(&args), "{args:?}");
        }
        let changing = [
            create(&spec),
            start("c", false, false),
            start("c", true, true),
            unpause("c"),
            commit("c", "alice:web", Some("m"), None, &[]),
            rm("c"),
            rmi("alice:web", false),
            import(Path::new("-"), "alice:web", &[]),
            export("c"),
            tag("a", "b"),
            pull("debian"),
            cp_into(Path::new("/tmp/x"), "c", "/root/"),
            exec("c", &["rm", "-rf", "/"], false),
            exec("c", &["cat"], true),
            exec("c", &["cat", "a", "b"], false),
            exec("c", &["ssh-keygen", "-f", "k"], false),
            exec("c", &["ssh-keygen", "-y", "-f", "-k"], false),
            exec("c", &["ssh-keygen", "-y", "-f", "k"], true),
            exec("c", &["sh", "-c", "cat x"], false),
            exec("-i", &["cat", "x"], false),
            os(&["system", "prune"]),
            os(&["image", "rm", "x"]),
            os(&["container", "rm", "x"]),
            Vec::new(),
        ];
        for args in changing {
            assert!(!reads_only(&args), "{args:?}");
        }
    }

    #[test]
    fn config_changes_carry_the_image_config() {
        let image = ImageInfo {
            env: vec!["PATH=/usr/bin:/bin".into(), "A=x \"y\" $z".into()],
            working_dir: "/srv".into(),
            exposed_ports: vec!["22/tcp".into()],
            labels: [
                ("keep".to_string(), "1".to_string()),
                ("drop".to_string(), "2".to_string()),
            ]
            .into_iter()
            .collect(),
            cmd: vec!["/usr/local/sbin/redock-init".into()],
            ..ImageInfo::default()
        };
        assert_eq!(
            config_changes(&image, |k| k != "drop"),
            [
                r#"ENV PATH="/usr/bin:/bin""#,
                r#"ENV A="x \"y\" \$z""#,
                "WORKDIR /srv",
                "EXPOSE 22/tcp",
                r#"LABEL "keep"="1""#,
                r#"CMD ["/usr/local/sbin/redock-init"]"#,
            ]
        );
    }
    use std::collections::BTreeMap;

    fn check(actual: Vec<OsString>, expected: &[&str]) {
        let actual: Vec<String> = actual
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        assert_eq!(actual, expected);
    }

    #[test]
    fn create_minimal() {
        let spec = CreateSpec {
            image: "alice:web".into(),
            ..CreateSpec::default()
        };
        check(create(&spec), &["create", "alice:web"]);
    }

    #[test]
    fn run_attached_takes_what_create_takes() {
        let spec = CreateSpec {
            image: "alice:web".into(),
            hostname: Some("web".into()),
            ..CreateSpec::default()
        };
        check(
            run_attached(&spec, std::path::Path::new("/tmp/x/cid")),
            &[
                "run",
                "-i",
                "--sig-proxy=false",
                "--cidfile",
                "/tmp/x/cid",
                "--hostname",
                "web",
                "alice:web",
            ],
        );
    }

    #[test]
    fn run_detached_takes_what_create_takes() {
        let spec = CreateSpec {
            image: "alice:web".into(),
            name: Some("redock-web".into()),
            local_image_only: true,
            ..CreateSpec::default()
        };
        check(
            run_detached(&spec),
            &[
                "run",
                "-d",
                "--name",
                "redock-web",
                "--pull",
                "never",
                "alice:web",
            ],
        );
    }

    #[test]
    fn create_everything() {
        let mut labels = BTreeMap::new();
        labels.insert("io.redock.name".to_string(), "alice:web".to_string());
        labels.insert("io.redock.alias".to_string(), "web-container".to_string());
        let spec = CreateSpec {
            image: "alice:web".into(),
            name: Some("redock-web".into()),
            hostname: Some("web".into()),
            labels,
            publish_ssh_on_loopback: true,
            command: vec!["sleep".into(), "infinity".into()],
            entrypoint: Some("/bin/sh".into()),
            interactive: true,
            tmpfs: vec!["/run/redock:mode=0700".into()],
            local_image_only: true,
        };
        check(
            create(&spec),
            &[
                "create",
                "-i",
                "--name",
                "redock-web",
                "--hostname",
                "web",
                "--label",
                "io.redock.alias=web-container",
                "--label",
                "io.redock.name=alice:web",
                "-p",
                "127.0.0.1::22",
                "--tmpfs",
                "/run/redock:mode=0700",
                "--entrypoint",
                "/bin/sh",
                "--pull",
                "never",
                "alice:web",
                "sleep",
                "infinity",
            ],
        );
    }

    #[test]
    fn commit_with_everything() {
        let changes = vec!["CMD [\"/x\"]".to_string(), "ENV LANG=C.UTF-8".to_string()];
        check(
            commit(
                "abc",
                "alice:web",
                Some("a message"),
                Some("Alice"),
                &changes,
            ),
            &[
                "commit",
                "-m",
                "a message",
                "-a",
                "Alice",
                "-c",
                "CMD [\"/x\"]",
                "-c",
                "ENV LANG=C.UTF-8",
                "abc",
                "alice:web",
            ],
        );
        check(
            commit("abc", "web", None, None, &[]),
            &["commit", "abc", "web"],
        );
        check(
            commit_in_docker_format(commit("abc", "web", Some("m"), None, &[])),
            &["commit", "--format", "docker", "-m", "m", "abc", "web"],
        );
    }

    #[test]
    fn removals() {
        check(rm("abc"), &["rm", "-f", "-v", "abc"]);
        check(rmi("alice:web", false), &["rmi", "alice:web"]);
        check(rmi("alice:web", true), &["rmi", "-f", "alice:web"]);
    }

    #[test]
    fn import_from_stdin_and_file() {
        check(
            import(
                Path::new("-"),
                "redock/rootfs:x",
                &["CMD [\"/bin/sh\"]".into()],
            ),
            &["import", "-c", "CMD [\"/bin/sh\"]", "-", "redock/rootfs:x"],
        );
        check(
            import(Path::new("/tmp/root.tar"), "r:t", &[]),
            &["import", "/tmp/root.tar", "r:t"],
        );
    }

    #[test]
    fn tag_logs_ps() {
        check(tag("a", "b"), &["tag", "a", "b"]);
        check(export("abc"), &["export", "abc"]);
        check(logs("abc", false, None), &["logs", "abc"]);
        check(logs("abc", true, None), &["logs", "-f", "abc"]);
        check(
            logs("abc", false, Some(20)),
            &["logs", "--tail", "20", "abc"],
        );
        check(
            ps(&[
                "io.redock.name".into(),
                "io.redock.alias=web-container".into(),
            ]),
            &[
                "ps",
                "-a",
                "--no-trunc",
                "--filter",
                "label=io.redock.name",
                "--filter",
                "label=io.redock.alias=web-container",
                "--format",
                PS_FORMAT,
            ],
        );
        check(ps(&[]), &["ps", "-a", "--no-trunc", "--format", PS_FORMAT]);
    }

    #[test]
    fn inspects() {
        check(
            image_inspect("alice:web"),
            &["image", "inspect", "alice:web"],
        );
        check(
            container_inspect(&["a".into(), "b".into()]),
            &["container", "inspect", "a", "b"],
        );
        check(context_inspect("remote"), &["context", "inspect", "remote"]);
    }

    #[test]
    fn exec_cp_start() {
        check(
            exec("abc", &["cat", "/etc/hostname"], false),
            &["exec", "abc", "cat", "/etc/hostname"],
        );
        check(
            exec("abc", &["sh", "-s"], true),
            &["exec", "-i", "abc", "sh", "-s"],
        );
        check(
            cp_into(
                Path::new("/tmp/key.pub"),
                "abc",
                "/root/.ssh/authorized_keys",
            ),
            &["cp", "/tmp/key.pub", "abc:/root/.ssh/authorized_keys"],
        );
        check(start("abc", false, false), &["start", "abc"]);
        check(start("abc", true, false), &["start", "-a", "abc"]);
        check(start("abc", true, true), &["start", "-a", "-i", "abc"]);
        check(unpause("abc"), &["unpause", "abc"]);
    }

    #[test]
    fn image_listing_and_inspection() {
        check(
            image_ls("redock-snapshots/alice-web-0123456789abcdef"),
            &[
                "image",
                "ls",
                "--no-trunc",
                "--format",
                IMAGE_LS_FORMAT,
                "redock-snapshots/alice-web-0123456789abcdef",
            ],
        );
        check(
            image_inspect_many(&["a:1".into(), "b:2".into()]),
            &["image", "inspect", "a:1", "b:2"],
        );
    }

    #[test]
    fn version_and_pull() {
        check(version(), &["version", "--format", "{{json .}}"]);
        check(
            pull("debian:bookworm-slim"),
            &["pull", "debian:bookworm-slim"],
        );
    }

    #[test]
    fn connection_prefers_the_context() {
        assert_eq!(connection(None, None), Vec::<String>::new());
        assert_eq!(
            connection(Some("remote"), Some("ssh://h")),
            ["--context", "remote"]
        );
        assert_eq!(connection(None, Some("ssh://h")), ["--host", "ssh://h"]);
    }
}
