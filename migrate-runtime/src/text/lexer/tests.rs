//! The lexer's tests.

use super::*;

fn texts(sql: &str) -> Vec<&str> {
    split(sql)
        .unwrap()
        .iter()
        .map(|s| &sql[s.start..s.end])
        .collect()
}

#[test]
fn splits_on_semicolons_outside_literals() {
    let sql = "-- head\nCREATE TABLE a (x text default ';');\n/* ; */ INSERT INTO a VALUES ($$;$$), ($t$ $$ ; $t$);\nSELECT E'\\';' ; select 1";
    assert_eq!(
        texts(sql),
        vec![
            "CREATE TABLE a (x text default ';')",
            "INSERT INTO a VALUES ($$;$$), ($t$ $$ ; $t$)",
            "SELECT E'\\';'",
            "select 1"
        ]
    );
}

#[test]
fn a_rule_s_action_list_is_one_statement() {
    // Issue 10: a no-transaction file ran the rule's actions apart.
    let sql = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));\nSELECT (1);\n";
    let statements = split(sql).unwrap();
    assert_eq!(statements.len(), 2, "{statements:?}");
    assert!(sql[statements[0].start..statements[0].end].ends_with("(2))"));
    // An unbalanced `)` does not hide the next statement's `;`.
    assert_eq!(split("SELECT 1);\nSELECT 2;").unwrap().len(), 2);
}

#[test]
fn keeps_trigger_and_atomic_bodies_whole() {
    let sql = "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET n = CASE WHEN 1 THEN 2 END; DELETE FROM c; END;\nCREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3;";
    let t = texts(sql);
    assert_eq!(t.len(), 3, "{t:?}");
    assert!(t[0].ends_with("END"));
    assert!(t[1].ends_with("END"));
    assert_eq!(t[2], "SELECT 3");
}

#[test]
fn nested_block_comments_and_parameters() {
    let sql = "/* a /* b */ ; */ SELECT $1; SELECT arr[1] FROM t;";
    assert_eq!(texts(sql), vec!["SELECT $1", "SELECT arr[1] FROM t"]);
}

#[test]
fn reports_unterminated_literals() {
    for (sql, what, start) in [
        ("SELECT 'abc", "string", 7),
        ("SELECT $x$ abc $y$", "dollar-quoted string", 7),
        ("SELECT 1 /* never closed", "block comment", 9),
        ("SELECT \"abc", "quoted identifier", 7),
    ] {
        let e = split(sql).unwrap_err();
        assert_eq!((e.what, e.start), (what, start), "{sql}");
    }
}

#[test]
fn classifies_transaction_control() {
    let kinds: Vec<bool> = split(
        "BEGIN; COMMIT; END; ROLLBACK; START TRANSACTION; ROLLBACK TO SAVEPOINT s; SAVEPOINT s; SELECT 1; ABORT",
    )
    .unwrap()
    .iter()
    .map(Statement::is_transaction_control)
    .collect();
    assert_eq!(
        kinds,
        vec![true, true, true, true, true, false, false, false, true]
    );
}

#[test]
fn maps_offsets_to_lines_and_columns() {
    let text = "ab\nçd\nef";
    assert_eq!(line_col(text, 0), (1, 1));
    assert_eq!(line_col(text, 3), (2, 1));
    assert_eq!(line_col(text, 5), (2, 2)); // after the two-byte ç
    assert_eq!(line_col(text, 8), (3, 2));
    assert_eq!(char_to_byte(text, 4), 5);
}

#[test]
fn line_col_counts_characters_of_any_width() {
    // 1, 2, 3 and 4 bytes: a, é, €, 😀.
    let text = "a\u{e9}\u{20ac}\u{1f600}b\n\u{1f600}x";
    assert_eq!(line_col(text, 0), (1, 1));
    assert_eq!(line_col(text, 1), (1, 2)); // é
    assert_eq!(line_col(text, 3), (1, 3)); // €
    assert_eq!(line_col(text, 6), (1, 4)); // 😀
    assert_eq!(line_col(text, 10), (1, 5)); // b
    assert_eq!(line_col(text, 11), (1, 6)); // the newline ends line 1
    assert_eq!(line_col(text, 12), (2, 1));
    assert_eq!(line_col(text, 16), (2, 2)); // x, after a 4-byte character
}

#[test]
fn line_col_of_an_offset_inside_a_character_or_past_the_end() {
    let text = "\u{20ac}\n\u{1f600}";
    // Inside a character: the character's own position.
    assert_eq!(line_col(text, 1), (1, 1));
    assert_eq!(line_col(text, 2), (1, 1));
    assert_eq!(line_col(text, 6), (2, 1));
    assert_eq!(line_col(text, 7), (2, 1));
    // At or past the end: just after the last character.
    assert_eq!(line_col(text, text.len()), (2, 2));
    assert_eq!(line_col(text, text.len() + 10), (2, 2));
    assert_eq!(line_col("", 0), (1, 1));
    assert_eq!(line_col("", 3), (1, 1));
    assert_eq!(line_col("a\n", 2), (2, 1));
}

#[test]
fn positions_map_offsets_in_any_order_like_line_col() {
    let text = "ab\n\u{e9}\u{1f600}c\n\n\u{20ac}x\n";
    let mut forward = Positions::new(text);
    let offsets: Vec<usize> = (0..=text.len() + 2).collect();
    for &o in offsets
        .iter()
        .chain(offsets.iter().rev())
        .chain([&7, &1, &12])
    {
        assert_eq!(forward.line_col(o), line_col_by_counting(text, o), "{o}");
    }
}

/// `line_col` as it was written first: counting from the start.
fn line_col_by_counting(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..floor_char_boundary(text, offset.min(text.len()))];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[test]
fn char_to_byte_with_multibyte_text() {
    let text = "a\u{e9}\u{20ac}\u{1f600}b";
    let bytes: Vec<usize> = (0..=6).map(|c| char_to_byte(text, c)).collect();
    assert_eq!(bytes, [0, 1, 3, 6, 10, 11, 11]);
    assert_eq!(char_to_byte("", 0), 0);
    assert_eq!(char_to_byte("", 5), 0);
    // The inverse of line_col on one line.
    for c in 0..5 {
        assert_eq!(line_col(text, char_to_byte(text, c)), (1, c + 1));
    }
}

#[test]
fn finds_line_comments_outside_literals_only() {
    let sql = "-- one\nSELECT '--no', \"--no\", $$ -- no $$; -- two\n/* -- no */ SELECT 1 --three";
    let lexed = lex(sql).unwrap();
    let found: Vec<&str> = lexed
        .line_comments
        .iter()
        .map(|&i| sql[i..].lines().next().unwrap())
        .collect();
    assert_eq!(found, ["-- one", "-- two", "--three"]);
}

#[test]
fn statement_bounds_and_keywords() {
    let sql = "  -- lead\n  create unique index i on t (x) -- tail\n ;\n\nvacuum";
    let statements = split(sql).unwrap();
    let bounds: Vec<(&str, &[String])> = statements
        .iter()
        .map(|s| (&sql[s.start..s.end], s.keywords.as_slice()))
        .collect();
    assert_eq!(
        bounds,
        [
            (
                "create unique index i on t (x)",
                &["CREATE".to_owned(), "UNIQUE".to_owned(), "INDEX".to_owned()][..]
            ),
            ("vacuum", &["VACUUM".to_owned()][..]),
        ]
    );
}

#[test]
fn quotes_escapes_and_identifiers() {
    let sql = "INSERT INTO [odd;name] VALUES ('it''s; fine', e'\\'; still', `a;b`, \"c\"\";d\");\nSELECT a$b, $\u{e9}$ ; $\u{e9}$ FROM t;\nSELECT x[1], y::int[] FROM [t;u]";
    assert_eq!(
        texts(sql),
        [
            "INSERT INTO [odd;name] VALUES ('it''s; fine', e'\\'; still', `a;b`, \"c\"\";d\")",
            "SELECT a$b, $\u{e9}$ ; $\u{e9}$ FROM t",
            "SELECT x[1], y::int[] FROM [t;u]",
        ]
    );
}

#[test]
fn reports_unterminated_identifiers_and_escaped_strings() {
    for (sql, what, start) in [
        ("SELECT `abc", "quoted identifier", 7),
        ("SELECT * FROM [abc", "bracketed identifier", 14),
        ("SELECT E'abc\\'", "string", 8),
        ("SELECT 'it''s", "string", 7),
        ("SELECT 1 /* a /* b */", "block comment", 9),
        ("\u{e9}; SELECT $t$ $T$", "dollar-quoted string", 11),
    ] {
        let e = split(sql).unwrap_err();
        assert_eq!((e.what, e.start), (what, start), "{sql}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    /// Any text lexes or reports an unterminated literal; never a panic,
    /// and every statement lies inside the text, in order.
    #[test]
    fn any_text_lexes_without_a_panic(text in "\\PC{0,200}") {
        if let Ok(lexed) = lex(&text) {
            let mut last = 0;
            for s in &lexed.statements {
                proptest::prop_assert!(last <= s.start && s.start < s.end && s.end <= text.len());
                last = s.end;
            }
        }
    }

    /// Statements joined with `;` are split back into the same ones.
    #[test]
    fn statements_joined_are_split_back(
        parts in proptest::collection::vec("[A-Za-z_][A-Za-z0-9_ ,.=<>+*]{0,30}[A-Za-z0-9_]", 1..8)
    ) {
        let text = parts.join(";\n");
        let statements = split(&text).unwrap();
        let back: Vec<&str> = statements.iter().map(|s| &text[s.start..s.end]).collect();
        let expected: Vec<&str> = parts.iter().map(|p| p.trim()).collect();
        proptest::prop_assert_eq!(back, expected);
    }
}
