//! Databases for tests (feature `testing`): a fresh database per test with
//! the set applied, cloned from a template built once per set, and
//! [`assert_reversible`], which proves that every down migration restores
//! the schema its up migration found.

mod catalog;
