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
    let digest = Sha256::digest(normalized.as_bytes());
    let mut out = String::with_capacity(ALGORITHM.len() + 1 + 64);
    out.push_str(ALGORITHM);
    out.push(':');
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
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
    fn matches_the_published_sha256_of_abc() {
        assert_eq!(
            checksum("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
