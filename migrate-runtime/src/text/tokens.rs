//! The tokens of one statement (found by the lexer), for the checks that
//! read what a statement does: words upper-cased, string literals with
//! their text, quoted identifiers, punctuation. Comments and blanks are
//! left out. Not a parser: rules match token sequences.

use super::lexer::{
    block_comment_end, dollar_body_end, dollar_tag, line_end, quoted_end, word_end,
};

/// One token and where it starts in the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: Kind,
    /// Byte offset in the script.
    pub(crate) at: usize,
}

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A keyword or a name, upper-cased.
    Word(String),
    /// A `"quoted"` (or `` ` ``) identifier, as written inside the quotes.
    Quoted(String),
    /// A string literal's text (quotes doubled inside are one).
    Str(String),
    /// A `$tag$…$tag$` body.
    Body,
    /// A number, as written.
    Number(String),
    /// Any other character (`(`, `,`, `=`, `\`, …).
    Punct(char),
}

impl Token {
    /// Whether it is the word `word` (upper case).
    pub(crate) fn is(&self, word: &str) -> bool {
        matches!(&self.kind, Kind::Word(w) if w == word)
    }

    /// A name: a word or a quoted identifier, as the catalog would hold it
    /// (words lower-cased).
    pub(crate) fn name(&self) -> Option<String> {
        match &self.kind {
            Kind::Word(w) => Some(w.to_ascii_lowercase()),
            Kind::Quoted(q) => Some(q.clone()),
            _ => None,
        }
    }
}

/// The tokens of `sql[start..end]`, a statement the lexer found (so its
/// literals are closed).
pub(crate) fn tokens(sql: &str, start: usize, end: usize) -> Vec<Token> {
    let b = &sql.as_bytes()[..end];
    let mut out = Vec::new();
    let mut i = start;
    while i < end {
        let c = b[i];
        let at = i;
        let (kind, next) = if c.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            i = line_end(b, i);
            continue;
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i = block_comment_end(b, i).unwrap_or(end);
            continue;
        } else if c == b'\'' {
            let close = quoted_end(b, i, b'\'', false, "string").unwrap_or(end);
            let text = sql[i + 1..close.saturating_sub(1).max(i + 1)].replace("''", "'");
            (Kind::Str(text), close)
        } else if c == b'"' || c == b'`' {
            let close = quoted_end(b, i, c, false, "identifier").unwrap_or(end);
            let text = sql[i + 1..close.saturating_sub(1).max(i + 1)].to_owned();
            (Kind::Quoted(text), close)
        } else if c == b'$' {
            match dollar_tag(b, i) {
                Some(tag_end) => (Kind::Body, dollar_body_end(b, i, tag_end).unwrap_or(end)),
                None => (Kind::Punct('$'), i + 1),
            }
        } else if c.is_ascii_digit() {
            let mut j = i;
            while j < end && (b[j].is_ascii_alphanumeric() || b[j] == b'.' || b[j] == b'_') {
                j += 1;
            }
            (Kind::Number(sql[i..j].to_owned()), j)
        } else if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 {
            let w = word_end(b, i);
            // E'…' strings: the word E and the string, as one string.
            if (w == i + 1) && (c == b'E' || c == b'e') && b.get(w) == Some(&b'\'') {
                let close = quoted_end(b, w, b'\'', true, "string").unwrap_or(end);
                (
                    Kind::Str(sql[w + 1..close.saturating_sub(1).max(w + 1)].to_owned()),
                    close,
                )
            } else {
                (Kind::Word(sql[i..w].to_ascii_uppercase()), w)
            }
        } else {
            let ch = sql[i..].chars().next().unwrap_or('?');
            (Kind::Punct(ch), i + ch.len_utf8())
        };
        out.push(Token { kind, at });
        i = next.max(i + 1);
    }
    out
}

/// The index of the first token after `from` that is the word `word`.
pub(crate) fn find(tokens: &[Token], from: usize, word: &str) -> Option<usize> {
    tokens
        .iter()
        .skip(from)
        .position(|t| t.is(word))
        .map(|p| p + from)
}

/// Whether the tokens from `from` start with `words`.
pub(crate) fn starts(tokens: &[Token], from: usize, words: &[&str]) -> bool {
    words.len() <= tokens.len().saturating_sub(from)
        && words.iter().zip(&tokens[from..]).all(|(w, t)| t.is(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<Kind> {
        tokens(sql, 0, sql.len())
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn words_strings_identifiers_and_punctuation() {
        assert_eq!(
            kinds("create index \"Ix\" on t (a) -- no\n where b = 'it''s' /* c */ and $$x$$ > 1.5"),
            [
                Kind::Word("CREATE".into()),
                Kind::Word("INDEX".into()),
                Kind::Quoted("Ix".into()),
                Kind::Word("ON".into()),
                Kind::Word("T".into()),
                Kind::Punct('('),
                Kind::Word("A".into()),
                Kind::Punct(')'),
                Kind::Word("WHERE".into()),
                Kind::Word("B".into()),
                Kind::Punct('='),
                Kind::Str("it's".into()),
                Kind::Word("AND".into()),
                Kind::Body,
                Kind::Punct('>'),
                Kind::Number("1.5".into()),
            ]
        );
        assert_eq!(kinds("E'a\\'b'"), [Kind::Str("a\\'b".into())]);
        assert_eq!(kinds("\\set x 1")[0], Kind::Punct('\\'));
    }
}
