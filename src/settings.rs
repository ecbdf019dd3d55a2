//! What redock remembers between runs of the user's choices (as the
//! original remembered its package mirror): `<REDOCK_HOME>/settings.json`,
//! a small versioned JSON object of its own, apart from `state.json`, which
//! holds what is running.
//!
//! ```json
//! {"version": 1, "mirror": "http://mirror.example/debian", "with": ["curl", "git"]}
//! ```
//!
//! [`KEYS`] lists every setting; adding one is one line there, and
//! `redock config` shows it and `redock config --unset KEY` forgets it with
//! no further change. Keys this redock does not know (written by a newer
//! one) are kept as they are.

use std::collections::BTreeMap;
use std::fs;
use std::io;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::home::Home;

/// The format version this redock reads and writes.
const VERSION: u64 = 1;

/// One remembered setting.
#[derive(Debug)]
pub struct Key {
    /// Its name in the file and on `redock config`'s command line.
    pub name: &'static str,
    /// Whether its value is one text or a list of words.
    pub kind: Kind,
    /// The command line that sets it.
    pub set_by: &'static str,
}

/// The shape of a [`Key`]'s value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    List,
}

/// The package mirror of base builds and of the containers' apt sources.
pub const MIRROR: &str = "mirror";
/// Extra packages in the base image.
pub const WITH: &str = "with";

/// Every setting redock remembers, in the order `redock config` shows them.
pub const KEYS: &[Key] = &[
    Key {
        name: MIRROR,
        kind: Kind::Text,
        set_by: "redock base --mirror URL",
    },
    Key {
        name: WITH,
        kind: Kind::List,
        set_by: "redock base --with PACKAGE…",
    },
];

/// The remembered settings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settings {
    values: BTreeMap<String, Value>,
}

impl Settings {
    /// Reads `settings.json`; a missing file is no settings. A corrupt file
    /// or one of a newer version is an error and is never overwritten.
    pub fn load(home: &Home) -> Result<Settings> {
        let path = home.settings_file();
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let unreadable = |why: String| {
            Error::other(format!("{}: {why}", path.display()))
                .with_hint("fix or remove the file; it holds only what `redock config` shows")
        };
        let mut values: BTreeMap<String, Value> = serde_json::from_slice(&bytes)
            .map_err(|e| unreadable(format!("not a JSON object: {e}")))?;
        match values.remove("version").as_ref().and_then(Value::as_u64) {
            Some(VERSION) => {}
            Some(newer) if newer > VERSION => {
                return Err(unreadable(format!(
                    "version {newer} is newer than this redock understands ({VERSION})"
                )))
            }
            _ => return Err(unreadable("no valid \"version\"".into())),
        }
        Ok(Settings { values })
    }

    /// Loads, lets `edit` change and writes back the settings, under
    /// REDOCK_HOME's lock; returns them as written.
    pub fn update(home: &Home, edit: impl FnOnce(&mut Settings)) -> Result<Settings> {
        home.locked(|| {
            let mut settings = Settings::load(home)?;
            let before = settings.clone();
            edit(&mut settings);
            if settings != before {
                let mut object = serde_json::Map::new();
                object.insert("version".into(), VERSION.into());
                object.extend(settings.values.clone());
                let mut text = serde_json::to_string_pretty(&Value::Object(object))
                    .map_err(|e| Error::other(e.to_string()))?;
                text.push('\n');
                home.write_file(&home.settings_file(), text.as_bytes(), 0o600)?;
            }
            Ok(settings)
        })
    }

    /// The text setting `key`, when set.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.values.get(key).and_then(Value::as_str)
    }

    /// The list setting `key`; empty when not set.
    pub fn list(&self, key: &str) -> Vec<String> {
        match self.values.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn set_text(&mut self, key: &str, value: &str) {
        self.values.insert(key.into(), Value::from(value));
    }

    pub fn set_list(&mut self, key: &str, values: &[String]) {
        self.values.insert(key.into(), Value::from(values.to_vec()));
    }

    /// Forgets `key`; returns whether it was set.
    pub fn unset(&mut self, key: &str) -> bool {
        self.values.remove(key).is_some()
    }

    /// The value of `key` as `redock config` shows it, when set.
    pub fn display(&self, key: &Key) -> Option<String> {
        match key.kind {
            Kind::Text => self.text(key.name).map(String::from),
            Kind::List if self.values.contains_key(key.name) => Some(self.list(key.name).join(" ")),
            Kind::List => None,
        }
    }
}

/// The [`Key`] called `name`, or an error that lists them all.
pub fn key(name: &str) -> Result<&'static Key> {
    KEYS.iter().find(|k| k.name == name).ok_or_else(|| {
        let names: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
        Error::other(format!("there is no setting {name:?}"))
            .with_hint(format!("the settings are: {}", names.join(", ")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_unset() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path().join(".redock"));
        assert_eq!(Settings::load(&home).unwrap(), Settings::default());
        Settings::update(&home, |s| {
            s.set_text(MIRROR, "http://mirror.example/debian");
            s.set_list(WITH, &["curl".into(), "git".into()]);
        })
        .unwrap();
        let text = fs::read_to_string(home.settings_file()).unwrap();
        let json: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"version": 1, "mirror": "http://mirror.example/debian", "with": ["curl", "git"]})
        );
        let loaded = Settings::load(&home).unwrap();
        assert_eq!(loaded.text(MIRROR), Some("http://mirror.example/debian"));
        assert_eq!(loaded.list(WITH), ["curl", "git"]);
        assert_eq!(
            loaded.display(key(WITH).unwrap()).as_deref(),
            Some("curl git")
        );

        let after = Settings::update(&home, |s| assert!(s.unset(MIRROR))).unwrap();
        assert_eq!(after.text(MIRROR), None);
        assert_eq!(Settings::load(&home).unwrap(), after);
    }

    #[test]
    fn unknown_keys_are_kept_and_newer_files_refused() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path());
        fs::write(home.settings_file(), r#"{"version": 1, "later": {"x": 1}}"#).unwrap();
        Settings::update(&home, |s| s.set_text(MIRROR, "file:/srv/mirror")).unwrap();
        let json: Value =
            serde_json::from_str(&fs::read_to_string(home.settings_file()).unwrap()).unwrap();
        assert_eq!(json["later"], serde_json::json!({"x": 1}));

        for (text, says) in [
            (r#"{"version": 2}"#, "version 2 is newer"),
            (r#"{"mirror": "x"}"#, "no valid \"version\""),
            ("[1, 2]", "not a JSON object"),
        ] {
            fs::write(home.settings_file(), text).unwrap();
            let error = Settings::load(&home).unwrap_err().to_string();
            assert!(error.contains(says), "{error}");
            let error = Settings::update(&home, |s| s.set_text(MIRROR, "y")).unwrap_err();
            assert!(error.to_string().contains(says));
            assert_eq!(fs::read_to_string(home.settings_file()).unwrap(), text);
        }
    }

    #[test]
    fn unknown_key_names_the_known_ones() {
        let error = key("mirrors").unwrap_err();
        assert_eq!(error.to_string(), "there is no setting \"mirrors\"");
        assert_eq!(error.hint(), Some("the settings are: mirror, with"));
    }
}
