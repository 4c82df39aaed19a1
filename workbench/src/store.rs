//! The instances added in the workbench: one JSON file each in
//! `$PATCHBAY_HOME/workbench/instances` (a folder only the user may
//! enter, files only the user may read), secrets included.

use std::path::PathBuf;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One instance as saved.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Saved {
    /// The connector's id.
    pub(crate) connector: String,
    /// The auth method's key.
    pub(crate) auth: String,
    /// The values given, by input key (secrets included).
    pub(crate) values: IndexMap<String, Value>,
}

/// The folder of saved instances.
pub(crate) struct Instances {
    folder: PathBuf,
}

/// The longest instance name.
const MAX_NAME: usize = 64;

/// Whether a name can name an instance (and its file): lower-case ASCII
/// letters, digits, `-` and `_`.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl Instances {
    pub(crate) fn new(folder: PathBuf) -> Instances {
        Instances { folder }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.folder.join(format!("{name}.json"))
    }

    /// Every saved instance, by name.
    pub(crate) fn list(&self) -> Vec<(String, Saved)> {
        let Ok(entries) = std::fs::read_dir(&self.folder) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_suffix(".json")
                    .map(str::to_owned)
            })
            .filter(|name| valid_name(name))
            .collect();
        names.sort();
        names
            .into_iter()
            .filter_map(|name| Some((name.clone(), self.load(&name).ok()??)))
            .collect()
    }

    /// The instance of this name, if saved.
    pub(crate) fn load(&self, name: &str) -> Result<Option<Saved>, String> {
        if !valid_name(name) {
            return Ok(None);
        }
        let path = self.path(name);
        match patchbay_runtime::read_private_file(&path) {
            Ok(Some(text)) => serde_json::from_str(&text).map(Some).map_err(|e| {
                // serde's message may quote a value: only where it is.
                format!(
                    "{} is not a workbench instance (line {}, column {}); delete it",
                    path.display(),
                    e.line(),
                    e.column()
                )
            }),
            Ok(None) => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Saves an instance (replacing one of the same name).
    pub(crate) fn save(&self, name: &str, saved: &Saved) -> Result<(), String> {
        self.make_folder()?;
        let path = self.path(name);
        let json = serde_json::to_vec_pretty(saved).map_err(|e| e.to_string())?;
        patchbay_runtime::write_private_file(&path, &json)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// Forgets an instance.
    pub(crate) fn delete(&self, name: &str) -> Result<(), String> {
        match std::fs::remove_file(self.path(name)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(format!("cannot delete {}: {e}", self.path(name).display())),
        }
    }

    fn make_folder(&self) -> Result<(), String> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder
            .create(&self.folder)
            .map_err(|e| format!("cannot create {}: {e}", self.folder.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&self.folder)
                .map_err(|e| e.to_string())?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(format!(
                    "{} may be read by other users (mode {:o}); make it private with `chmod 700 {}`",
                    self.folder.display(),
                    mode & 0o777,
                    self.folder.display()
                ));
            }
        }
        Ok(())
    }
}
