//! Checksums of migration files: SHA-256 of the normalised text, tagged with
//! the algorithm so that another can be introduced later.

use sha2::{Digest, Sha256};

/// The tag stored in front of every checksum.
pub(crate) const ALGORITHM: &str = "sha256";

/// Normalises a file's text: strips a leading byte-order mark and turns
/// CRLF (and lone CR) line endings into LF.
pub(crate) fn normalize(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !text.contains('\r') {
        return text.to_owned();
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// The checksum of already normalised text, as `sha256:<64 hex digits>`.
pub fn checksum(normalized: &str) -> String {
    let mut out = String::with_capacity(ALGORITHM.len() + 1 + 64);
    out.push_str(ALGORITHM);
    out.push(':');
    push_hex(&mut out, &Sha256::digest(normalized.as_bytes()));
    out
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    for &byte in bytes {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
}

/// The digest of a whole applied state: SHA-256 (hex) of one line
/// `<version>:<checksum>\n` per migration, in version order. PostgreSQL
/// computes the same over its tracking table (see the backend), so the
/// no-op boot compares one stored value instead of reading every row.
#[derive(Clone, Default)]
pub(crate) struct StateDigest(Sha256);

impl StateDigest {
    /// Adds the next migration, in version order.
    pub(crate) fn push(&mut self, version: u64, checksum: &str) {
        self.0.update(format!("{version}:{checksum}\n").as_bytes());
    }

    /// The digest of what was pushed so far.
    pub(crate) fn hex(&self) -> String {
        let mut out = String::with_capacity(64);
        push_hex(&mut out, &self.0.clone().finalize());
        out
    }
}

/// The digest of a set with every migration applied.
pub(crate) fn set_digest<'a>(items: impl IntoIterator<Item = (u64, &'a str)>) -> String {
    let mut d = StateDigest::default();
    for (version, checksum) in items {
        d.push(version, checksum);
    }
    d.hex()
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings_and_bom_do_not_change_the_checksum() {
        let lf = checksum(&normalize("CREATE TABLE a (x int);\nSELECT 1;\n"));
        let crlf = checksum(&normalize(
            "\u{feff}CREATE TABLE a (x int);\r\nSELECT 1;\r\n",
        ));
        assert_eq!(lf, crlf);
        assert_ne!(
            lf,
            checksum(&normalize("CREATE TABLE a (x int);\nSELECT 2;\n"))
        );
    }

    #[test]
    fn state_digest_grows_line_by_line() {
        let mut d = StateDigest::default();
        d.push(1, "sha256:aa");
        let one = d.hex();
        d.push(2, "sha256:bb");
        assert_ne!(one, d.hex());
        assert_eq!(d.hex(), set_digest([(1, "sha256:aa"), (2, "sha256:bb")]));
        // sha256("1:sha256:aa\n2:sha256:bb\n"), as PostgreSQL computes it.
        assert_eq!(d.hex(), checksum("1:sha256:aa\n2:sha256:bb\n")[7..]);
    }

    #[test]
    fn matches_the_published_sha256_of_abc() {
        assert_eq!(
            checksum("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn normalize_strips_a_leading_bom_and_unifies_line_endings() {
        assert_eq!(normalize("a\r\nb\rc\n\r\n\r"), "a\nb\nc\n\n\n");
        assert_eq!(normalize("\u{feff}a\n"), "a\n");
        // Only one BOM, only at the start: any other is text.
        assert_eq!(normalize("\u{feff}\u{feff}a"), "\u{feff}a");
        assert_eq!(normalize("a\u{feff}"), "a\u{feff}");
        assert_eq!(normalize("caf\u{e9}\n"), "caf\u{e9}\n");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn a_checksum_is_tagged_lowercase_hex() {
        let sum = checksum("");
        assert_eq!(
            sum,
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let hex = checksum("SELECT 1;\n")["sha256:".len()..].to_owned();
        assert_eq!(hex.len(), 64);
        assert!(hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }
}
