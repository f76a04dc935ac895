//! The seeds folder: `seeds/<environment>/*.sql`, checked like migration
//! files (UTF-8, literals closed, no transaction control: each seed file
//! runs in a transaction of its own).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::{is_ignored, list, read, Direction};
use crate::text::checksum::checksum;
use super::problem::{Problem, Rule};
use crate::model::Seed;

/// The seed files under `dir/seeds`, by environment then name; each file
/// read is added to `files` (and to `normalized` when its text was
/// normalised).
pub(super) fn scan_seeds(
    dir: &Path,
    problems: &mut Vec<Problem>,
    files: &mut Vec<PathBuf>,
    normalized: &mut Vec<PathBuf>,
) -> Vec<Seed> {
    let root = dir.join("seeds");
    let mut seeds = Vec::new();
    let envs = match list(&root) {
        Ok(envs) => envs,
        Err(message) => {
            problems.push(Problem::folder(&root, Rule::Unreadable, message));
            return seeds;
        }
    };
    for (env, is_dir) in envs.into_iter().filter(|(n, _)| !is_ignored(n)) {
        let path = root.join(&env);
        if !is_dir {
            problems.push(Problem::new(
                &path,
                1,
                Rule::UnexpectedFile,
                "unexpected file; seed files go in seeds/<environment>/".to_owned(),
            ));
            continue;
        }
        if !is_env_name(&env) {
            problems.push(Problem::folder(
                &path,
                Rule::InvalidName,
                format!("environment `{env}` must be lowercase letters, digits, `_` and `-`"),
            ));
            continue;
        }
        let names = match list(&path) {
            Ok(names) => names,
            Err(message) => {
                problems.push(Problem::folder(&path, Rule::Unreadable, message));
                continue;
            }
        };
        for (name, is_dir) in names.into_iter().filter(|(n, _)| !is_ignored(n)) {
            let file = path.join(&name);
            if is_dir || !name.ends_with(".sql") {
                problems.push(Problem::new(
                    &file,
                    1,
                    Rule::UnexpectedFile,
                    "unexpected file; a seed file is named NAME.sql".to_owned(),
                ));
                continue;
            }
            let Some((sql, _, changed)) = read(&file, Direction::Seed, problems) else {
                continue;
            };
            if changed {
                normalized.push(file.clone());
            }
            files.push(file);
            seeds.push(Seed {
                env: Cow::Owned(env.clone()),
                file: Cow::Owned(format!("seeds/{env}/{name}")),
                checksum: Cow::Owned(checksum(&sql)),
                sql: Cow::Owned(sql),
            });
        }
    }
    seeds
}

fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-')
}
