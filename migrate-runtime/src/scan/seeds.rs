//! The seeds folder: `seeds/<environment>/*.sql`, checked like migration
//! files (UTF-8, literals closed, no transaction control: each seed file
//! runs in a transaction of its own).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::problem::{Problem, Rule};
use super::{is_ignored, list, rules, special, Direction, Kind};
use crate::model::Seed;
use crate::text::checksum::checksum;

/// The seed files under `dir/seeds`, by environment then name; each file
/// whose text was normalised is added to `normalized`.
pub(super) fn scan_seeds(
    dir: &Path,
    problems: &mut Vec<Problem>,
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
    for (env, kind) in envs.into_iter().filter(|(n, _)| !is_ignored(n)) {
        let path = root.join(&env);
        if let Kind::Special(what) = kind {
            problems.push(special(&path, what));
        } else if kind == Kind::File {
            problems.push(Problem::whole_file(
                &path,
                Rule::UnexpectedFile,
                "unexpected file; seed files go in seeds/<environment>/".to_owned(),
            ));
        } else if !is_env_name(&env) {
            problems.push(Problem::folder(
                &path,
                Rule::InvalidName,
                format!("environment `{env}` must be lowercase letters, digits, `_` and `-`"),
            ));
        } else {
            scan_env(&path, &env, problems, normalized, &mut seeds);
        }
    }
    seeds
}

/// The seed files of one environment's folder `path`, added to `seeds`.
fn scan_env(
    path: &Path,
    env: &str,
    problems: &mut Vec<Problem>,
    normalized: &mut Vec<PathBuf>,
    seeds: &mut Vec<Seed>,
) {
    let names = match list(path) {
        Ok(names) => names,
        Err(message) => {
            problems.push(Problem::folder(path, Rule::Unreadable, message));
            return;
        }
    };
    for (name, kind) in names.into_iter().filter(|(n, _)| !is_ignored(n)) {
        let file = path.join(&name);
        if let Kind::Special(what) = kind {
            problems.push(special(&file, what));
            continue;
        }
        let is_dir = kind == Kind::Folder;
        if is_dir || !name.ends_with(".sql") {
            let message = "unexpected file; a seed file is named NAME.sql".to_owned();
            problems.push(if is_dir {
                // A folder has no lines.
                Problem::folder(&file, Rule::UnexpectedFile, message)
            } else {
                Problem::whole_file(&file, Rule::UnexpectedFile, message)
            });
            continue;
        }
        let Some(read) = rules::read(&file, Direction::Seed, problems) else {
            continue;
        };
        if read.changed {
            normalized.push(file);
        }
        seeds.push(Seed {
            env: Cow::Owned(env.to_owned()),
            file: Cow::Owned(format!("seeds/{env}/{name}")),
            checksum: Cow::Owned(checksum(&read.text)),
            sql: Cow::Owned(read.text),
            statements: Cow::Owned(read.statements),
        });
    }
}

fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-')
}
