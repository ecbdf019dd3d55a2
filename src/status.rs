//! `redock status`: one row per container of this home, from two docker
//! calls (ps and inspect) per engine whatever their number, the engines
//! asked in parallel, merged with the state file.
//! Docker's labels are the source of truth; the state file only adds the
//! containers that vanished behind redock's back.

use serde::Serialize;

use docker_exec::{ContainerInfo, Docker, Endpoint};

use crate::container::{labels, loopback_ssh_port};
use crate::context::{same_engine, Context};
use crate::decision::status_word;
use crate::error::Result;
use crate::name::Image;
use crate::time::parse_rfc3339;

/// One row of `redock status`; also the `--json` object. `state` is
/// running, paused, stopped (created or exited: `start` resumes it) or
/// missing (recorded, gone from the engine), or the engine's word for the
/// rare others (restarting, dead, removing).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Row {
    pub name: String,
    pub image: String,
    pub hostname: String,
    pub alias: String,
    /// The engine it lives on (see [`engine_name`]).
    pub engine: String,
    pub state: String,
    pub endpoint: Option<String>,
    pub transport: String,
    pub uptime_seconds: Option<u64>,
    pub id: String,
}

/// How long `status` waits for an engine's answer, unless
/// `REDOCK_ENGINE_TIMEOUT` says otherwise: one engine that hangs (an
/// `ssh://` host gone quiet) must not hold the listing of the others long.
const STATUS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The rows for `names` (all containers when empty), from every engine
/// the state file names and the context's own, asked in parallel. Rows of
/// an engine that does not answer are the state file's, marked
/// `unreachable`, and it is told as a warning; only when no engine answers
/// is it an error.
pub fn rows(ctx: &Context, names: &[Image]) -> Result<Vec<Row>> {
    let short = std::env::var_os("REDOCK_ENGINE_TIMEOUT").is_none();
    // One reading of the state file serves the engines and the rows of
    // containers they no longer have.
    let state = ctx.load_state()?;
    let engines: Vec<Docker> = ctx
        .engines(&state)
        .into_iter()
        .map(|docker| match docker.timeout() {
            Some(t) if short && t > STATUS_TIMEOUT => docker.with_timeout(Some(STATUS_TIMEOUT)),
            _ => docker,
        })
        .collect();
    let answers = ctx.inspect_on(&engines);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut rows = Vec::new();
    let mut down = Vec::new();
    let mut errors = Vec::new();
    for (docker, answer) in engines.iter().zip(answers) {
        match answer {
            Ok(infos) => rows.extend(infos.iter().map(|info| row(info, docker, now))),
            Err(error) => {
                down.push(docker);
                errors.push((engine_name(docker), error));
            }
        }
    }
    if down.len() == engines.len() && !errors.is_empty() {
        return Err(errors.remove(0).1);
    }
    for (engine, error) in errors {
        ctx.ui.warn(format!(
            "the engine {engine} does not answer; its containers are marked unreachable ({error})"
        ));
    }
    for record in state.containers.values() {
        if rows
            .iter()
            .any(|r| r.id == record.container_id || r.name == record.name)
        {
            continue;
        }
        let engine = ctx.engine_of(record);
        let unreachable = down.iter().any(|d| same_engine(d, &engine));
        rows.push(Row {
            name: record.name.clone(),
            image: record.image.clone(),
            hostname: record.hostname.clone(),
            alias: record.alias.clone(),
            engine: engine_name(&engine),
            state: if unreachable {
                "unreachable"
            } else {
                "missing"
            }
            .into(),
            endpoint: None,
            transport: record.transport.clone(),
            uptime_seconds: None,
            id: record.container_id.clone(),
        });
    }
    if !names.is_empty() {
        rows.retain(|r| names.iter().any(|n| n.name() == r.name));
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(rows)
}

/// The row of a container `docker` lists.
fn row(info: &ContainerInfo, docker: &Docker, now: i64) -> Row {
    let label = |key: &str| info.labels.get(key).cloned().unwrap_or_default();
    let transport = label(labels::TRANSPORT);
    // A paused container keeps its port, but nothing answers there.
    let endpoint = if !info.is_running() {
        None
    } else if transport == "exec" {
        Some("docker exec".to_string())
    } else {
        loopback_ssh_port(info).ok().map(|a| a.to_string())
    };
    let uptime_seconds = if info.is_running() {
        parse_rfc3339(&info.started_at).map(|t| (now - t).max(0) as u64)
    } else {
        None
    };
    Row {
        name: label(labels::NAME),
        image: info.image.clone(),
        hostname: label(labels::HOSTNAME),
        alias: label(labels::ALIAS),
        engine: engine_name(docker),
        state: status_word(info.state).to_string(),
        endpoint,
        transport,
        uptime_seconds,
        id: info.id.clone(),
    }
}

/// An engine as `status` names it: `default`, a context's name or a
/// `DOCKER_HOST` value, after `podman:` for Podman's CLI.
pub fn engine_name(docker: &Docker) -> String {
    let endpoint = docker.endpoint();
    let podman = docker
        .program()
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("podman"));
    match (podman, endpoint) {
        (true, Endpoint::Default) => "podman".to_string(),
        (true, endpoint) => format!("podman:{endpoint}"),
        (false, endpoint) => endpoint.to_string(),
    }
}

/// The rows as an aligned table.
pub fn table(rows: &[Row]) -> String {
    let header = [
        "NAME",
        "IMAGE",
        "HOSTNAME",
        "ALIAS",
        "ENGINE",
        "STATE",
        "ENDPOINT",
        "TRANSPORT",
        "UPTIME",
    ];
    let cells: Vec<[String; 9]> = rows
        .iter()
        .map(|r| {
            [
                r.name.clone(),
                r.image.clone(),
                r.hostname.clone(),
                r.alias.clone(),
                r.engine.clone(),
                r.state.clone(),
                r.endpoint.clone().unwrap_or_else(|| "-".into()),
                r.transport.clone(),
                r.uptime_seconds.map_or_else(|| "-".into(), human_duration),
            ]
        })
        .collect();
    crate::ui::table(header, &cells)
}

fn human_duration(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{}s", s / 60, s % 60),
        s if s < 86400 => format!("{}h{}m", s / 3600, s % 3600 / 60),
        s => format!("{}d{}h", s / 86400, s % 86400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(65), "1m5s");
        assert_eq!(human_duration(7300), "2h1m");
        assert_eq!(human_duration(90000), "1d1h");
    }

    #[test]
    fn table_aligns() {
        let row = Row {
            name: "alice:web".into(),
            image: "redock:base".into(),
            hostname: "web".into(),
            alias: "web-container".into(),
            engine: "default".into(),
            state: "running".into(),
            endpoint: Some("127.0.0.1:49153".into()),
            transport: "tcp".into(),
            uptime_seconds: Some(3),
            id: "abc".into(),
        };
        let t = table(&[row]);
        assert_eq!(
            t,
            "NAME       IMAGE        HOSTNAME  ALIAS          ENGINE   STATE    ENDPOINT         TRANSPORT  UPTIME\n\
             alice:web  redock:base  web       web-container  default  running  127.0.0.1:49153  tcp        3s\n"
        );
    }
}
