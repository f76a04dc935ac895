//! The SQL lexer on any UTF-8 text: no panic, and what it promises of
//! statements, gaps and line comments holds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use migrate_runtime::__fuzz::{lex, line_col, positions, Lexed};

fuzz_target!(|sql: &str| check(sql));

fn check(sql: &str) {
    let lexed = match lex(sql) {
        Ok(lexed) => lexed,
        Err((start, what)) => return check_unterminated(sql, start, what),
    };

    // Statements: non-empty, in bounds, on character boundaries, in order,
    // and apart (at least the `;` that ended the one before lies between).
    let mut gap_start = 0;
    for s in &lexed.statements {
        assert!(s.start < s.end && s.end <= sql.len(), "{s:?}");
        assert!(sql.is_char_boundary(s.start) && sql.is_char_boundary(s.end));
        assert!(gap_start <= s.start, "{s:?} overlaps the one before");
        let text = &sql[s.start..s.end];
        // First token to last: no blank at either end.
        assert_eq!(text.trim_matches(|c: char| c.is_ascii_whitespace()), text);
        assert!(
            !text.starts_with("--") && !text.starts_with("/*"),
            "{text:?}"
        );
        // Keywords: at most three, upper-cased words of the statement.
        assert!(s.keywords.len() <= 3, "{s:?}");
        let upper = text.to_ascii_uppercase();
        for k in &s.keywords {
            assert!(!k.is_empty() && *k == k.to_ascii_uppercase(), "{k:?}");
            assert!(upper.contains(k.as_str()), "{k:?} not in {text:?}");
        }
        gap_start = s.end;
    }
    for pair in lexed.statements.windows(2) {
        assert!(
            sql[pair[0].end..pair[1].start].contains(';'),
            "no `;` between {pair:?}"
        );
    }

    // Line comments: in order, each at a `--`.
    for pair in lexed.line_comments.windows(2) {
        assert!(pair[0] < pair[1]);
    }
    for &c in &lexed.line_comments {
        assert!(sql.is_char_boundary(c) && sql[c..].starts_with("--"));
    }

    // Each statement's text alone lexes to that one statement, with the
    // same keywords and the same line comments: what the runner sends is
    // what the lexer saw in the file.
    for s in &lexed.statements {
        let alone = lex(&sql[s.start..s.end]).expect("a statement lexes alone");
        assert_eq!(alone.statements.len(), 1, "{:?}", &sql[s.start..s.end]);
        let only = &alone.statements[0];
        assert_eq!((only.start, only.end), (0, s.end - s.start));
        assert_eq!(only.keywords, s.keywords);
        assert_eq!(only.transaction_control, s.transaction_control);
        assert_eq!(alone.line_comments, comments_in(&lexed, s.start, s.end));
    }

    // Outside the statements is only blanks, comments and `;`: each gap
    // lexes to no statement, with the same line comments.
    let mut from = 0;
    let ends = lexed.statements.iter().map(|s| (s.start, s.end));
    for (to, next) in ends.chain([(sql.len(), sql.len())]) {
        let gap = lex(&sql[from..to]).expect("a gap lexes");
        assert!(
            gap.statements.is_empty(),
            "statement in gap {:?}",
            &sql[from..to]
        );
        assert_eq!(gap.line_comments, comments_in(&lexed, from, to));
        from = next;
    }

    // Positions, mapped in order as the scanner maps them, agree with
    // line_col (each of which counts from the start: the first few only);
    // and the line of the end counts the text's newlines.
    let starts: Vec<usize> = lexed.statements.iter().take(8).map(|s| s.start).collect();
    let mapped = positions(sql, &starts);
    for (&o, &p) in starts.iter().zip(&mapped) {
        assert_eq!(p, line_col(sql, o));
    }
    let (last_line, _) = line_col(sql, sql.len());
    assert_eq!(last_line, sql.matches('\n').count() + 1);
}

/// The line comments of `lexed` within `from..to`, relative to `from`.
fn comments_in(lexed: &Lexed, from: usize, to: usize) -> Vec<usize> {
    lexed
        .line_comments
        .iter()
        .filter(|&&c| (from..to).contains(&c))
        .map(|&c| c - from)
        .collect()
}

/// An unterminated literal or comment opens where it is said to.
fn check_unterminated(sql: &str, start: usize, what: &str) {
    assert!(start < sql.len() && sql.is_char_boundary(start), "{start}");
    let rest = &sql[start..];
    let opens = match what {
        "string" => rest.starts_with('\''),
        "quoted identifier" => rest.starts_with('"') || rest.starts_with('`'),
        "bracketed identifier" => rest.starts_with('['),
        "block comment" => rest.starts_with("/*"),
        "dollar-quoted string" => rest.starts_with('$'),
        other => panic!("unknown kind {other}"),
    };
    assert!(opens, "{what} at {start}: {rest:?}");
}
