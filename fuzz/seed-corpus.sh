#!/usr/bin/env bash
# Rebuilds the committed seed corpora (corpus/<target>/seed-*) from the
# repository's SQL files: at most 30 seeds per target. Runs add their own
# inputs beside them, which .gitignore leaves out.
set -eu  # no pipefail: `head` closes the pipes early on purpose
cd "$(dirname "$0")"
root=..
rm -f corpus/*/seed-*
mkdir -p corpus/lexer corpus/directives corpus/file_name corpus/scan_folder

# Name a copy after its folder and file: seed-<folder>-<file>.
seed() { # target file
    local name
    name="seed-$(basename "$(dirname "$2")")-$(basename "$2")"
    cp "$2" "corpus/$1/$name"
}

sql_files() { find "$root/tests/fixtures" "$root/migrations" -type f -name '*.sql' | LC_ALL=C sort; }

# lexer: the project's own migrations, then the fixtures with the most
# varied syntax (triggers, rules, dollar quotes, block comments, escapes,
# quoted identifiers).
{
    find "$root/migrations" -name '*.up.sql' | LC_ALL=C sort
    sql_files | xargs grep -lE "TRIGGER|RULE|ATOMIC|\\\$|/\*|E'|\`|\[|\"" || true
    sql_files | grep -v '\.down\.sql$'
} | awk '!seen[$0]++' | head -n 22 | while read -r f; do seed lexer "$f"; done
# And what the fixtures lack: trigger and BEGIN ATOMIC bodies, nested
# comments, E'' escapes, brackets and backquotes, dollar tags, open literals.
hand() { printf '%s' "$2" > "corpus/lexer/seed-hand-$1.sql"; }
hand trigger "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET n = CASE WHEN 1 THEN 2 END; DELETE FROM c; END;"
hand atomic "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3;"
hand comments "/* a /* b */ ; */ SELECT \$1; -- x
SELECT arr[1] FROM t;"
hand escapes "INSERT INTO [odd;name] VALUES ('it''s; fine', e'\\'; still', \`a;b\`, \"c\"\";d\");"
hand dollar "SELECT a\$b, \$é\$ ; \$é\$ FROM t; DO \$body\$ BEGIN PERFORM 1; END \$body\$;"
hand rule "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));"
hand open "SELECT 1 /* a /* b */"
hand control "BEGIN; COMMIT; END; ROLLBACK; START TRANSACTION; ROLLBACK TO SAVEPOINT s; ABORT"

# directives: every file with a `-- migrate:` line, then others.
{
    sql_files | xargs grep -l -- '-- migrate:' || true
    sql_files
} | awk '!seen[$0]++' | head -n 30 | while read -r f; do seed directives "$f"; done

# file_name: file names as the scanner meets them, good and bad.
i=0
{
    find "$root/tests/fixtures" "$root/migrations" -type f -printf '%f\n' | LC_ALL=C sort -u | head -n 18
    printf '%s\n' 0_zero.up.sql 0001_a.sql 0001_Bad.up.sql 0001__a.up.sql 1234567890_a.up.sql \
        20240229235959_leap.up.sql 20230229000000_not_leap.up.sql 19691231235959_old.down.sql \
        README.md .hidden 0001_a.code 0001-a.up.sql
} | while read -r name; do
    i=$((i + 1))
    printf '%s' "$name" > "corpus/file_name/seed-$(printf '%02d' "$i")"
done
# scan_folder takes structured input (arbitrary): it starts from nothing.
for t in lexer directives file_name scan_folder; do
    echo "$t: $(find "corpus/$t" -name 'seed-*' | wc -l) seeds"
done
