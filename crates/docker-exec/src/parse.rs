//! Parsing of what the CLI prints: `inspect` JSON, `ps` JSON lines, `version`.
//!
//! Only the fields redock uses are deserialized, and every one that an
//! engine may leave out or set to `null` has a default, so that Docker 20.10,
//! Docker 25+ and Podman all read the same (see `fixtures/docker/`).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use serde::Deserialize;

use crate::{ContainerInfo, ContainerState, EngineInfo, ImageInfo, ImageRef, PsEntry};

/// `null`, a string, or an array of strings: how engines spell `Cmd`,
/// `Entrypoint` and podman's `Names`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Strings {
    One(String),
    Many(Vec<String>),
}

impl Strings {
    fn into_vec(value: Option<Strings>) -> Vec<String> {
        match value {
            None => Vec::new(),
            Some(Strings::One(s)) if s.is_empty() => Vec::new(),
            Some(Strings::One(s)) => vec![s],
            Some(Strings::Many(v)) => v,
        }
    }
}

/// Docker's `ps` prints labels as one `k=v,k2=v2` string; Podman as an object.
#[derive(Deserialize)]
#[serde(untagged)]
enum Labels {
    Joined(String),
    Map(BTreeMap<String, String>),
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawImage {
    id: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    created: String,
    #[serde(default)]
    config: Option<RawImageConfig>,
    #[serde(default, rename = "RootFS")]
    root_fs: Option<RawRootFs>,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    author: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RawImageConfig {
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    cmd: Option<Strings>,
    #[serde(default)]
    entrypoint: Option<Strings>,
    #[serde(default)]
    env: Option<Vec<String>>,
    #[serde(default)]
    working_dir: String,
    #[serde(default)]
    exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawRootFs {
    #[serde(default)]
    layers: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawContainer {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    image: String,
    /// Podman names the reference here as well as in `Config.Image`.
    #[serde(default)]
    image_name: String,
    #[serde(default)]
    config: Option<RawContainerConfig>,
    #[serde(default)]
    state: Option<RawState>,
    #[serde(default)]
    network_settings: Option<RawNetworkSettings>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RawContainerConfig {
    #[serde(default)]
    image: String,
    #[serde(default)]
    hostname: String,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RawState {
    #[serde(default)]
    running: bool,
    #[serde(default)]
    paused: bool,
    #[serde(default)]
    status: String,
    #[serde(default)]
    started_at: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RawNetworkSettings {
    #[serde(default)]
    ports: Option<BTreeMap<String, Option<Vec<RawBinding>>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawBinding {
    #[serde(default)]
    host_ip: String,
    #[serde(default)]
    host_port: String,
}

#[derive(Deserialize)]
struct RawPs {
    #[serde(default, alias = "Id")]
    #[serde(rename = "ID")]
    id: String,
    #[serde(default, rename = "Names")]
    names: Option<Strings>,
    #[serde(default, rename = "Image")]
    image: String,
    #[serde(default, rename = "Labels")]
    labels: Option<Labels>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawVersion {
    #[serde(default)]
    client: Option<RawVersionPart>,
    #[serde(default)]
    server: Option<RawVersionPart>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawVersionPart {
    #[serde(default)]
    version: String,
}

pub(crate) fn images(json: &[u8]) -> serde_json::Result<Vec<ImageInfo>> {
    let raw: Vec<RawImage> = serde_json::from_slice(json)?;
    Ok(raw.into_iter().map(image).collect())
}

fn image(raw: RawImage) -> ImageInfo {
    let config = raw.config.unwrap_or_default();
    ImageInfo {
        id: raw.id,
        repo_tags: raw.repo_tags.unwrap_or_default(),
        created: raw.created,
        labels: config.labels.unwrap_or_default(),
        cmd: Strings::into_vec(config.cmd),
        entrypoint: Strings::into_vec(config.entrypoint),
        env: config.env.unwrap_or_default(),
        working_dir: config.working_dir,
        exposed_ports: config
            .exposed_ports
            .unwrap_or_default()
            .into_keys()
            .collect(),
        layers: raw.root_fs.and_then(|r| r.layers).map_or(0, |l| l.len()),
        size: raw.size,
        comment: raw.comment.unwrap_or_default(),
        author: raw.author.unwrap_or_default(),
    }
}

pub(crate) fn containers(json: &[u8]) -> serde_json::Result<Vec<ContainerInfo>> {
    let raw: Vec<RawContainer> = serde_json::from_slice(json)?;
    Ok(raw.into_iter().map(container).collect())
}

fn container(raw: RawContainer) -> ContainerInfo {
    let config = raw.config.unwrap_or_default();
    let state = raw.state.unwrap_or_default();
    let ports = raw
        .network_settings
        .and_then(|n| n.ports)
        .unwrap_or_default();
    let ssh_ports = ports
        .get("22/tcp")
        .and_then(Option::as_ref)
        .map(|bindings| bindings.iter().filter_map(socket_addr).collect())
        .unwrap_or_default();
    let image = if config.image.is_empty() {
        raw.image_name
    } else {
        config.image
    };
    ContainerInfo {
        id: raw.id,
        name: raw.name.trim_start_matches('/').to_string(),
        image_id: raw.image,
        image,
        hostname: config.hostname,
        labels: config.labels.unwrap_or_default(),
        state: ContainerState::from_inspect(&state.status, state.running, state.paused),
        status: state.status,
        started_at: state.started_at,
        ssh_ports,
    }
}

/// A port binding as an address; an empty `HostIp` means every IPv4 address.
fn socket_addr(binding: &RawBinding) -> Option<SocketAddr> {
    let port: u16 = binding.host_port.parse().ok()?;
    let ip: IpAddr = if binding.host_ip.is_empty() {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        binding
            .host_ip
            .trim_matches(|c| c == '[' || c == ']')
            .parse()
            .ok()?
    };
    Some(SocketAddr::new(ip, port))
}

#[derive(Deserialize)]
struct RawImageRef {
    #[serde(rename = "ID")]
    id: String,
    #[serde(default, rename = "Repository")]
    repository: String,
    #[serde(default, rename = "Tag")]
    tag: String,
}

/// `image ls` in [`crate::args::IMAGE_LS_FORMAT`], one JSON object a line.
pub(crate) fn image_refs(text: &[u8]) -> serde_json::Result<Vec<ImageRef>> {
    let text = String::from_utf8_lossy(text);
    let mut refs = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let raw: RawImageRef = serde_json::from_str(line)?;
        refs.push(ImageRef {
            id: raw.id,
            repository: raw.repository,
            tag: raw.tag,
        });
    }
    Ok(refs)
}

pub(crate) fn ps_lines(text: &[u8]) -> serde_json::Result<Vec<PsEntry>> {
    let text = String::from_utf8_lossy(text);
    let mut entries = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let raw: RawPs = serde_json::from_str(line)?;
        entries.push(PsEntry {
            id: raw.id,
            names: Strings::into_vec(raw.names).join(","),
            image: raw.image,
            labels: match raw.labels {
                None => BTreeMap::new(),
                Some(Labels::Map(map)) => map,
                Some(Labels::Joined(joined)) => joined_labels(&joined),
            },
        });
    }
    Ok(entries)
}

/// Splits docker's `k=v,k2=v2`. Values may hold `=` and even `,`: a piece
/// that does not start with something shaped like a label key continues the
/// previous value. (`inspect` is exact; `ps` is for listing.)
pub(crate) fn joined_labels(joined: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for piece in joined.split(',') {
        let new_pair = piece.split_once('=').filter(|(key, _)| is_label_key(key));
        match (new_pair, current.as_mut()) {
            (Some((key, value)), _) => {
                if let Some((k, v)) = current.take() {
                    labels.insert(k, v);
                }
                current = Some((key.to_string(), value.to_string()));
            }
            (None, Some((_, value))) => {
                value.push(',');
                value.push_str(piece);
            }
            (None, None) if piece.is_empty() => {}
            (None, None) => {
                current = Some((piece.to_string(), String::new()));
            }
        }
    }
    if let Some((k, v)) = current {
        labels.insert(k, v);
    }
    labels
}

fn is_label_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'))
}

pub(crate) fn version(json: &[u8]) -> serde_json::Result<EngineInfo> {
    let raw: RawVersion = serde_json::from_slice(json)?;
    let client_version = raw.client.map(|c| c.version).unwrap_or_default();
    // Podman without a service runs the engine in its own process and
    // prints no server part: the engine's version is the client's.
    let server_version = match raw.server.map(|s| s.version) {
        Some(version) if !version.is_empty() => version,
        _ => client_version.clone(),
    };
    Ok(EngineInfo {
        client_version,
        server_version,
    })
}

/// `Endpoints.docker.Host` of the first context in `docker context inspect`.
pub(crate) fn context_host(json: &[u8]) -> serde_json::Result<Option<String>> {
    let value: serde_json::Value = serde_json::from_slice(json)?;
    Ok(value
        .get(0)
        .and_then(|c| c.pointer("/Endpoints/docker/Host"))
        .and_then(|h| h.as_str())
        .map(str::to_string))
}

/// `currentContext` of the CLI's `config.json`, when it names one.
pub(crate) fn current_context(config_json: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(config_json).ok()?;
    value
        .get("currentContext")?
        .as_str()
        .filter(|c| !c.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../../fixtures/docker/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Images as Docker 20.10 and Podman 4.3 name them.
    #[test]
    fn images_are_known_by_their_names() {
        let docker = images(&fixture("engine-20.10/image-inspect-some-missing.json")).unwrap();
        let podman = images(&fixture("podman-4.3/image-inspect-some-missing.json")).unwrap();
        for image in [&docker[0], &podman[0]] {
            assert!(
                image.is_named("redock-fixture/debian:bookworm"),
                "{image:?}"
            );
            assert!(image.is_named("redock-snapshots/tester-demo-0123456789abcdef:1"));
            assert!(!image.is_named("redock-fixture/debian:trixie"));
            assert!(!image.is_named("debian:bookworm"));
        }
        let base = images(&fixture("podman-4.3/image-inspect-base.json")).unwrap();
        assert!(base[0].is_named("redock:base"));
        assert!(base[0].is_named("localhost/redock:base"));
        assert!(!base[0].is_named("redock:other"));
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn docker_20_running_container() {
        let list = containers(&fixture("engine-20.10/container-inspect-running.json")).unwrap();
        assert_eq!(list.len(), 1);
        let c = &list[0];
        assert_eq!(
            c.id,
            "95156cc3b62bcb66b9cf00e7228b3724d2da7175e581967de0680859d5d68d89"
        );
        assert_eq!(c.name, "redock-fixture-run");
        assert_eq!(c.image, "redock-fixture/debian:bookworm");
        assert!(c.image_id.starts_with("sha256:84fe5df4c5e9"));
        assert_eq!(c.hostname, "web");
        assert_eq!(c.state, ContainerState::Running);
        assert!(c.is_running());
        assert_eq!(c.status, "running");
        assert_eq!(c.started_at, "2026-11-28T18:51:27.236156277Z");
        assert_eq!(c.labels["io.redock.note"], "a=b,c");
        assert_eq!(c.labels["io.redock.name"], "alice:web");
        assert_eq!(c.ssh_ports, vec![addr("127.0.0.1:32768")]);
    }

    #[test]
    fn docker_20_exited_container() {
        let list = containers(&fixture("engine-20.10/container-inspect-exited.json")).unwrap();
        let c = &list[0];
        assert_eq!(c.state, ContainerState::Exited);
        assert!(!c.is_running());
        assert!(c.ssh_ports.is_empty());
        assert_eq!(c.labels["io.redock.name"], "alice:db");
    }

    /// Docker says a paused container is running (`Running: true`); its
    /// status says paused.
    #[test]
    fn docker_20_paused_and_created_containers() {
        let paused = containers(&fixture(
            "engine-20.10-states/container-inspect-paused.json",
        ))
        .unwrap();
        assert_eq!(paused[0].state, ContainerState::Paused);
        assert!(!paused[0].is_running());
        assert_eq!(paused[0].ssh_ports, vec![addr("127.0.0.1:32776")]);
        let created = containers(&fixture(
            "engine-20.10-states/container-inspect-created.json",
        ))
        .unwrap();
        assert_eq!(created[0].state, ContainerState::Created);
        assert!(created[0].ssh_ports.is_empty());
    }

    #[test]
    fn docker_20_some_missing_prints_the_found_ones() {
        let list =
            containers(&fixture("engine-20.10/container-inspect-some-missing.json")).unwrap();
        let names: Vec<&str> = list.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["redock-fixture-run", "redock-fixture-exited"]);
    }

    #[test]
    fn docker_20_container_published_on_every_address() {
        // `-p 22 --expose 80`: IPv4 and IPv6 bindings, `null` for the
        // exposed port that is not published.
        let list = containers(&fixture(
            "engine-20.10/container-inspect-all-interfaces.json",
        ))
        .unwrap();
        let c = &list[0];
        assert_eq!(c.ssh_ports, vec![addr("0.0.0.0:32768"), addr("[::]:32768")]);
    }

    #[test]
    fn docker_25_container_binds_everywhere() {
        // Written by hand (see fixtures/docker/README.md).
        let list = containers(&fixture("docker-25/container-inspect-running.json")).unwrap();
        let c = &list[0];
        assert!(c.is_running());
        assert_eq!(c.name, "web");
        assert_eq!(c.ssh_ports, vec![addr("0.0.0.0:49153"), addr("[::]:49153")]);
    }

    #[test]
    fn podman_43_running_container() {
        let list = containers(&fixture("podman-4.3/container-inspect-running.json")).unwrap();
        let c = &list[0];
        assert_eq!(
            c.id,
            "fd0a8376c32fb00561e1189b5bc759241fa2b77d9055e43e09f9d66b2c1c8820"
        );
        assert_eq!(c.name, "rec-running");
        assert_eq!(c.image, "localhost/redock-fixture/debian:bookworm");
        assert!(c.image_id.starts_with("1ccb280b3178"));
        assert_eq!(c.hostname, "web");
        assert_eq!(c.state, ContainerState::Running);
        assert_eq!(c.started_at, "2026-11-28T22:44:05.18322015Z");
        assert_eq!(c.labels["io.redock.alias"], "web-container");
        assert_eq!(c.labels["io.redock.name"], "tester:demo");
        assert_eq!(c.labels["io.redock.note"], "a=b,c");
        assert_eq!(c.ssh_ports, vec![addr("127.0.0.1:40961")]);
    }

    /// Podman says a paused container is not running (`Running: false`),
    /// where Docker says it is: the status agrees.
    #[test]
    fn podman_43_paused_created_and_exited_containers() {
        let state = |name: &str| {
            containers(&fixture(&format!(
                "podman-4.3/container-inspect-{name}.json"
            )))
            .unwrap()[0]
                .state
        };
        assert_eq!(state("paused"), ContainerState::Paused);
        assert_eq!(state("created"), ContainerState::Created);
        assert_eq!(state("exited"), ContainerState::Exited);
        let paused = &containers(&fixture("podman-4.3/container-inspect-paused.json")).unwrap()[0];
        assert_eq!(paused.ssh_ports, vec![addr("127.0.0.1:32777")]);
    }

    #[test]
    fn podman_43_some_missing_prints_the_found_ones() {
        let list = containers(&fixture("podman-4.3/container-inspect-some-missing.json")).unwrap();
        let names: Vec<&str> = list.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["rec-running", "rec-exited"]);
    }

    #[test]
    fn states_from_the_status_and_the_flags() {
        use ContainerState::*;
        let cases = [
            ("created", false, false, Created),
            ("configured", false, false, Created),
            ("running", true, false, Running),
            ("paused", true, true, Paused),
            ("paused", false, true, Paused),
            ("restarting", true, false, Restarting),
            ("exited", false, false, Exited),
            ("stopped", false, false, Exited),
            ("dead", false, false, Dead),
            ("removing", false, false, Removing),
            ("", true, true, Paused),
            ("", true, false, Running),
            ("", false, false, Unknown),
            ("stopping", true, false, Unknown),
        ];
        for (status, running, paused, expected) in cases {
            assert_eq!(
                ContainerState::from_inspect(status, running, paused),
                expected,
                "{status:?} running={running} paused={paused}"
            );
        }
    }

    #[test]
    fn docker_20_image() {
        let list = images(&fixture("engine-20.10/image-inspect.json")).unwrap();
        let i = &list[0];
        assert!(i.id.starts_with("sha256:84fe5df4c5e9"));
        assert_eq!(i.repo_tags, ["redock-fixture/debian:bookworm"]);
        assert_eq!(i.cmd, ["/bin/bash"]);
        assert!(i.entrypoint.is_empty());
        assert!(i.env.is_empty());
        assert!(i.labels.is_empty());
        assert_eq!(i.layers, 1);
    }

    #[test]
    fn docker_20_committed_image() {
        let list = images(&fixture("engine-20.10/image-inspect-committed.json")).unwrap();
        let i = &list[0];
        assert_eq!(i.cmd, ["/usr/local/sbin/redock-init"]);
        assert!(i.env.contains(&"LANG=C.UTF-8".to_string()));
        assert_eq!(i.exposed_ports, ["22/tcp"]);
        assert_eq!(i.labels["io.redock.base-recipe"], "1");
        assert_eq!(i.working_dir, "/root");
        // The container had changed nothing: its commit adds no layer.
        assert_eq!(i.layers, 1);
        assert_eq!(i.size, 198900354);
        assert_eq!(i.comment, "fixture");
        assert_eq!(i.author, "redock");
    }

    #[test]
    fn some_images_missing_prints_the_found_ones() {
        let list = images(&fixture("engine-20.10/image-inspect-some-missing.json")).unwrap();
        assert_eq!(list.len(), 1);
        assert!(list[0].id.starts_with("sha256:1ccb280b3178"));
        assert_eq!(list[0].comment, "Imported from -");
        assert_eq!(list[0].size, 198901694);
        let list = images(&fixture("podman-4.3/image-inspect-some-missing.json")).unwrap();
        assert_eq!(list.len(), 1);
        // Podman's inspect gives the id without the digest's algorithm.
        assert!(list[0].id.starts_with("1ccb280b3178"));
        assert_eq!(list[0].size, 203798242);
        assert_eq!(list[0].author, "");
    }

    #[test]
    fn image_ls_lines() {
        let refs = image_refs(&fixture("engine-20.10/image-ls-snapshots.jsonl")).unwrap();
        assert_eq!(refs.len(), 3);
        assert_eq!(
            refs[2],
            ImageRef {
                id: "sha256:1ccb280b317881275c6f812a21c597b3bb03eebb0741dfb84c3cfafbdf46f479"
                    .into(),
                repository: "redock-snapshots/tester-demo-0123456789abcdef".into(),
                tag: "1".into(),
            }
        );
        // Podman adds the other names of the images listed, and `localhost/`.
        let refs = image_refs(&fixture("podman-4.3/image-ls-snapshots.jsonl")).unwrap();
        assert_eq!(refs.len(), 5);
        assert_eq!(refs[0].repository, "localhost/redock");
        assert_eq!(
            refs[4].repository,
            "localhost/redock-snapshots/tester-demo-0123456789abcdef"
        );
        assert_eq!(refs[4].tag, "1");
        assert!(refs[4].id.starts_with("sha256:1ccb280b3178"));
        assert!(image_refs(b"").unwrap().is_empty());
    }

    #[test]
    fn podman_43_images() {
        let list = images(&fixture("podman-4.3/image-inspect.json")).unwrap();
        let i = &list[0];
        assert!(i.id.starts_with("1ccb280b3178"));
        assert_eq!(i.repo_tags, ["localhost/redock-fixture/debian:bookworm"]);
        assert_eq!(i.cmd, ["/bin/bash"]);
        assert_eq!(i.layers, 1);
        let list = images(&fixture("podman-4.3/image-inspect-base.json")).unwrap();
        let i = &list[0];
        assert_eq!(i.repo_tags, ["localhost/redock:base"]);
        assert!(i.labels.contains_key("io.redock.base-recipe"));
        assert_eq!(i.cmd, ["/usr/local/sbin/redock-init"]);
        assert_eq!(i.env, ["LANG=C.UTF-8"]);
        assert_eq!(i.exposed_ports, ["22/tcp"]);
    }

    #[test]
    fn missing_image_is_an_empty_array() {
        for name in [
            "engine-20.10/image-inspect-missing.stdout.txt",
            "podman-4.3/image-inspect-missing.stdout.txt",
        ] {
            assert!(images(&fixture(name)).unwrap().is_empty(), "{name}");
        }
    }

    #[test]
    fn docker_ps_lines() {
        let mut list = ps_lines(&fixture("engine-20.10/ps.jsonl")).unwrap();
        list.sort_by(|a, b| a.names.cmp(&b.names));
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].names, "redock-fixture-exited");
        assert_eq!(list[1].names, "redock-fixture-run");
        assert_eq!(list[1].image, "redock-fixture/debian:bookworm");
        assert_eq!(list[1].labels["io.redock.alias"], "web-container");
        assert_eq!(list[1].labels["io.redock.name"], "alice:web");
        assert_eq!(list[1].labels["io.redock.note"], "a=b,c");
        assert_eq!(list[1].id.len(), 64);
    }

    #[test]
    fn docker_ps_lines_of_the_fields_format() {
        // Recorded with `args::PS_FORMAT` (then with a State field, which
        // the parser passes over).
        let list = ps_lines(&fixture("engine-20.10/ps-fields.jsonl")).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].names, "redock-demo-container");
        assert_eq!(list[0].image, "redock:base");
        assert_eq!(list[0].labels["io.redock.name"], "tester:demo");
        assert_eq!(list[0].labels["io.redock.home"], "/tmp/rt/.redock");
        assert_eq!(list[0].id.len(), 64);
        let list = ps_lines(&fixture("engine-20.10-states/ps-fields-states.jsonl")).unwrap();
        let names: Vec<&str> = list
            .iter()
            .map(|e| e.labels["io.redock.name"].as_str())
            .collect();
        assert_eq!(names, ["tester:created", "tester:paused"]);
    }

    #[test]
    fn podman_43_ps_lines_of_the_fields_format() {
        // Podman's labels are an object, its State "Up 5 seconds ago".
        let list = ps_lines(&fixture("podman-4.3/ps-fields.jsonl")).unwrap();
        let names: Vec<&str> = list.iter().map(|e| e.names.as_str()).collect();
        assert_eq!(
            names,
            ["rec-running", "rec-exited", "rec-paused", "rec-created"]
        );
        assert_eq!(
            list[0].id,
            "fd0a8376c32fb00561e1189b5bc759241fa2b77d9055e43e09f9d66b2c1c8820"
        );
        assert_eq!(list[0].image, "localhost/redock-fixture/debian:bookworm");
        assert_eq!(list[0].labels["io.redock.name"], "tester:demo");
        assert_eq!(list[0].labels["io.redock.alias"], "web-container");
        assert_eq!(list[0].labels["io.redock.note"], "a=b,c");
        assert_eq!(list[3].labels["io.redock.name"], "tester:created");
    }

    #[test]
    fn joined_labels_cases() {
        let check = |joined: &str, expected: &[(&str, &str)]| {
            let expected: BTreeMap<String, String> = expected
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!(joined_labels(joined), expected, "{joined}");
        };
        check("", &[]);
        check("a=1", &[("a", "1")]);
        check("a=1,b=2", &[("a", "1"), ("b", "2")]);
        check("a=x=y,b=", &[("a", "x=y"), ("b", "")]);
        check("a=1,2,3,b=c d=e", &[("a", "1,2,3"), ("b", "c d=e")]);
        check("flag", &[("flag", "")]);
    }

    #[test]
    fn versions() {
        let docker = version(&fixture("engine-20.10/version.json")).unwrap();
        assert_eq!(docker.client_version, "28.2.2");
        assert_eq!(docker.server_version, "20.10.24+dfsg1");
        let podman = version(&fixture("podman-4.3/version.json")).unwrap();
        assert_eq!(podman.client_version, "4.3.1");
        assert_eq!(podman.server_version, "4.3.1");
    }

    #[test]
    fn contexts() {
        let host = context_host(&fixture("engine-20.10/context-inspect-remote.json")).unwrap();
        assert_eq!(host.as_deref(), Some("ssh://alice@build.example"));
        let host = context_host(&fixture("engine-20.10/context-inspect-default.json")).unwrap();
        assert_eq!(host.as_deref(), Some("unix:///var/run/docker.sock"));
        assert_eq!(
            current_context(br#"{"currentContext":"remote"}"#).as_deref(),
            Some("remote")
        );
        assert_eq!(current_context(br#"{"auths":{}}"#), None);
        assert_eq!(current_context(b"not json"), None);
    }
}
