//! Text: the SQL lexer, checksums and durations. Imports nothing of the
//! crate.

pub(crate) mod checksum;
pub(crate) mod duration;
pub(crate) mod lexer;
pub(crate) mod tokens;
