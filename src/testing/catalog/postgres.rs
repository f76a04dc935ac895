//! The snapshot of a PostgreSQL database: one query over the system
//! catalogs, every kind of object in its own branch of a `UNION ALL`.

use super::Snapshot;

/// SQL true when the name `$x` is the tracking table's (`$1`) or starts
/// with it and `_`; false for every name when `$1` is empty.
macro_rules! skipped {
    ($x:literal) => {
        concat!(
            "($1::text <> '' AND (",
            $x,
            " = $1::text OR starts_with(",
            $x,
            ", $1::text || '_')))"
        )
    };
}

/// SQL true when the object `$oid` of catalog `$catalog` is not a member
/// of an extension.
macro_rules! not_extension {
    ($catalog:literal, $oid:literal) => {
        concat!(
            "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '",
            $catalog,
            "'::regclass AND e.objid = ",
            $oid,
            " AND e.deptype = 'e')"
        )
    };
}

/// SQL for a relation's grants, sorted, when they are not the owner's
/// defaults (NULL otherwise, which `concat_ws` leaves out).
macro_rules! grants {
    () => {
        concat!(
            "CASE WHEN c.relacl IS NOT NULL AND ",
            "(SELECT string_agg(a::text, ', ' ORDER BY a::text) FROM unnest(c.relacl) a) ",
            "IS DISTINCT FROM (SELECT string_agg(a::text, ', ' ORDER BY a::text) FROM ",
            "unnest(acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner)) a) ",
            "THEN 'grants ' || (SELECT string_agg(a::text, ', ' ORDER BY a::text) FROM unnest(c.relacl) a) END"
        )
    };
}

/// SQL for an object's comment, NULL when it has none.
macro_rules! comment {
    ($oid:literal, $catalog:literal) => {
        concat!(
            "'comment ' || quote_literal(obj_description(",
            $oid,
            ", '",
            $catalog,
            "'))"
        )
    };
}

/// The schemas read (all but the system ones and those of extensions),
/// the relations (tables, views, sequences; not the tracking tables, not
/// those of extensions, not the sequences the tracking tables own).
const CTES: &str = concat!(
    "WITH ns AS (SELECT n.oid, n.nspname FROM pg_namespace n ",
    "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') ",
    "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' AND ",
    not_extension!("pg_namespace", "n.oid"),
    "), rel AS (SELECT c.oid, c.relkind, ns.nspname || '.' || c.relname AS qname ",
    "FROM pg_class c JOIN ns ON ns.oid = c.relnamespace ",
    "WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S') AND ",
    not_extension!("pg_class", "c.oid"),
    " AND NOT ",
    skipped!("c.relname"),
    " AND NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid ",
    "WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid ",
    "AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') AND ",
    skipped!("t.relname"),
    ")) "
);

/// Schemas and extensions.
const SCHEMAS: &str = concat!(
    "SELECT 'schema ' || ns.nspname, concat_ws(' ', 'schema', ",
    comment!("ns.oid", "pg_namespace"),
    ") FROM ns WHERE NOT ",
    skipped!("ns.nspname"),
    " UNION ALL SELECT 'extension ' || x.extname, ",
    "'version ' || x.extversion || ' schema ' || n.nspname ",
    "FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace "
);

/// Tables (plain, partitioned, foreign), views, materialized views and
/// sequences.
const RELATIONS: &str = concat!(
    "SELECT CASE WHEN r.relkind IN ('r', 'p', 'f') THEN 'table ' WHEN r.relkind = 'v' THEN 'view ' ",
    "WHEN r.relkind = 'm' THEN 'materialized view ' ELSE 'sequence ' END || r.qname, ",
    "concat_ws(' ', CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' ",
    "WHEN 'f' THEN 'foreign table' END, ",
    "CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END, ",
    "CASE WHEN c.relkind = 'S' THEN (SELECT concat_ws(' ', format_type(s.seqtypid, NULL), ",
    "'start ' || s.seqstart, 'increment ' || s.seqincrement, 'min ' || s.seqmin, ",
    "'max ' || s.seqmax, 'cache ' || s.seqcache, CASE WHEN s.seqcycle THEN 'cycle' ELSE 'no cycle' END) ",
    "FROM pg_sequence s WHERE s.seqrelid = c.oid) END, ",
    "(SELECT 'owned by ' || tn.nspname || '.' || t.relname || '.' || a.attname ",
    "FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace ",
    "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid ",
    "WHERE c.relkind = 'S' AND d.classid = 'pg_class'::regclass AND d.objid = c.oid ",
    "AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1), ",
    "CASE WHEN c.relpersistence = 'u' THEN 'unlogged' END, ",
    "CASE WHEN c.relkind = 'p' THEN 'partition by ' || pg_get_partkeydef(c.oid) END, ",
    "(SELECT CASE WHEN c.relispartition THEN 'partition of ' ELSE 'inherits ' END || ",
    "string_agg(pn.nspname || '.' || p.relname, ', ' ORDER BY i.inhseqno) || ",
    "CASE WHEN c.relispartition THEN ' ' || pg_get_expr(c.relpartbound, c.oid) ELSE '' END ",
    "FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent ",
    "JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid HAVING count(*) > 0), ",
    "(SELECT 'server ' || fs.srvname || coalesce(' options (' || array_to_string(ft.ftoptions, ', ') || ')', '') ",
    "FROM pg_foreign_table ft JOIN pg_foreign_server fs ON fs.oid = ft.ftserver WHERE ft.ftrelid = c.oid), ",
    "'with (' || array_to_string(c.reloptions, ', ') || ')', ",
    "CASE WHEN c.relrowsecurity THEN 'row level security' END, ",
    "CASE WHEN c.relforcerowsecurity THEN 'forced' END, ",
    grants!(),
    ", ",
    comment!("c.oid", "pg_class"),
    ") FROM rel r JOIN pg_class c ON c.oid = r.oid "
);

/// The columns of tables.
const COLUMNS: &str = concat!(
    "SELECT 'column ' || r.qname || '.' || a.attname, ",
    "concat_ws(' ', format_type(a.atttypid, a.atttypmod), ",
    "CASE WHEN a.attcollation <> t.typcollation THEN ",
    "(SELECT 'collate ' || quote_ident(co.collname) FROM pg_collation co WHERE co.oid = a.attcollation) END, ",
    "CASE WHEN a.attnotnull THEN 'not null' END, ",
    "CASE a.attidentity WHEN 'a' THEN 'generated always as identity' ",
    "WHEN 'd' THEN 'generated by default as identity' END, ",
    "CASE WHEN a.attgenerated = 's' THEN 'generated always as (' || pg_get_expr(ad.adbin, ad.adrelid) || ') stored' ",
    "ELSE 'default ' || pg_get_expr(ad.adbin, ad.adrelid) END, ",
    "'comment ' || quote_literal(col_description(a.attrelid, a.attnum))) ",
    "FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped ",
    "JOIN pg_type t ON t.oid = a.atttypid ",
    "LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum ",
    "WHERE r.relkind IN ('r', 'p', 'f') "
);

/// Indexes, constraints, triggers, policies, rules and extended
/// statistics of the relations read.
const TABLE_PARTS: &str = concat!(
    "SELECT 'index ' || n.nspname || '.' || i.relname, ",
    "concat_ws(' ', pg_get_indexdef(x.indexrelid), CASE WHEN NOT x.indisvalid THEN 'invalid' END, ",
    "CASE WHEN x.indisclustered THEN 'clustered' END, ",
    comment!("i.oid", "pg_class"),
    ") FROM pg_index x JOIN rel r ON r.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid ",
    "JOIN pg_namespace n ON n.oid = i.relnamespace WHERE NOT ",
    skipped!("i.relname"),
    " UNION ALL SELECT 'constraint ' || r.qname || '.' || co.conname, ",
    "concat_ws(' ', pg_get_constraintdef(co.oid), ",
    "CASE WHEN NOT co.convalidated AND pg_get_constraintdef(co.oid) NOT LIKE '%NOT VALID' THEN 'not valid' END) ",
    "FROM pg_constraint co JOIN rel r ON r.oid = co.conrelid ",
    "UNION ALL SELECT 'trigger ' || r.qname || '.' || tg.tgname, ",
    "concat_ws(' ', pg_get_triggerdef(tg.oid), CASE tg.tgenabled WHEN 'D' THEN 'disabled' ",
    "WHEN 'R' THEN 'enabled replica' WHEN 'A' THEN 'enabled always' END) ",
    "FROM pg_trigger tg JOIN rel r ON r.oid = tg.tgrelid JOIN pg_proc p ON p.oid = tg.tgfoid ",
    "WHERE NOT tg.tgisinternal AND NOT ",
    skipped!("tg.tgname"),
    " AND NOT ",
    skipped!("p.proname"),
    " UNION ALL SELECT 'policy ' || r.qname || '.' || pol.polname, ",
    "concat_ws(' ', CASE WHEN pol.polpermissive THEN 'permissive' ELSE 'restrictive' END, ",
    "'for ' || CASE pol.polcmd WHEN 'r' THEN 'select' WHEN 'a' THEN 'insert' WHEN 'w' THEN 'update' ",
    "WHEN 'd' THEN 'delete' ELSE 'all' END, ",
    "'to ' || (SELECT string_agg(g.name, ', ' ORDER BY g.name) FROM (SELECT CASE WHEN rid = 0 ",
    "THEN 'public' ELSE pg_get_userbyid(rid)::text END AS name FROM unnest(pol.polroles) rid) g), ",
    "'using (' || pg_get_expr(pol.polqual, pol.polrelid) || ')', ",
    "'with check (' || pg_get_expr(pol.polwithcheck, pol.polrelid) || ')') ",
    "FROM pg_policy pol JOIN rel r ON r.oid = pol.polrelid ",
    "UNION ALL SELECT 'rule ' || r.qname || '.' || rw.rulename, pg_get_ruledef(rw.oid) ",
    "FROM pg_rewrite rw JOIN rel r ON r.oid = rw.ev_class WHERE rw.rulename <> '_RETURN' ",
    "UNION ALL SELECT 'statistics ' || n.nspname || '.' || st.stxname, pg_get_statisticsobjdef(st.oid) ",
    "FROM pg_statistic_ext st JOIN rel r ON r.oid = st.stxrelid ",
    "JOIN pg_namespace n ON n.oid = st.stxnamespace "
);

/// Functions and procedures (not aggregates), by name and argument types.
const FUNCTIONS: &str = concat!(
    "SELECT CASE WHEN p.prokind = 'p' THEN 'procedure ' ELSE 'function ' END || ns.nspname || '.' || ",
    "p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', ",
    "concat_ws(' ', pg_get_functiondef(p.oid), ",
    comment!("p.oid", "pg_proc"),
    ") FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace WHERE p.prokind IN ('f', 'p', 'w') AND ",
    not_extension!("pg_proc", "p.oid"),
    " AND NOT ",
    skipped!("p.proname")
);

/// Enums (labels in order), domains, composite and range types.
const TYPES: &str = concat!(
    "SELECT CASE t.typtype WHEN 'e' THEN 'enum ' WHEN 'd' THEN 'domain ' WHEN 'c' THEN 'type ' ",
    "ELSE 'range ' END || ns.nspname || '.' || t.typname, ",
    "concat_ws(' ', CASE t.typtype ",
    "WHEN 'e' THEN 'enum (' || coalesce((SELECT string_agg(quote_literal(l.enumlabel), ', ' ",
    "ORDER BY l.enumsortorder) FROM pg_enum l WHERE l.enumtypid = t.oid), '') || ')' ",
    "WHEN 'd' THEN concat_ws(' ', 'domain over ' || format_type(t.typbasetype, t.typtypmod), ",
    "CASE WHEN t.typnotnull THEN 'not null' END, 'default ' || t.typdefault, ",
    "(SELECT 'collate ' || quote_ident(co.collname) FROM pg_collation co JOIN pg_type b ON b.oid = t.typbasetype ",
    "WHERE co.oid = t.typcollation AND t.typcollation <> b.typcollation), ",
    "(SELECT string_agg('constraint ' || dc.conname || ' ' || pg_get_constraintdef(dc.oid), ' ' ",
    "ORDER BY dc.conname) FROM pg_constraint dc WHERE dc.contypid = t.oid)) ",
    "WHEN 'c' THEN 'composite (' || coalesce((SELECT string_agg(a.attname || ' ' || ",
    "format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum) FROM pg_attribute a ",
    "WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped), '') || ')' ",
    "ELSE (SELECT 'range of ' || format_type(rg.rngsubtype, NULL) FROM pg_range rg WHERE rg.rngtypid = t.oid) END, ",
    comment!("t.oid", "pg_type"),
    ") FROM pg_type t JOIN ns ON ns.oid = t.typnamespace ",
    "WHERE t.typtype IN ('e', 'd', 'c', 'r') AND (t.typtype <> 'c' OR ",
    "(SELECT k.relkind FROM pg_class k WHERE k.oid = t.typrelid) = 'c') AND ",
    not_extension!("pg_type", "t.oid"),
    " AND NOT ",
    skipped!("t.typname")
);

/// The catalog of every schema but the system ones (`pg_catalog`,
/// `information_schema`, `pg_toast*`, `pg_temp*`), leaving out objects
/// named `skip` or starting with `{skip}_` (the tracking tables: with
/// `skip = "migrate_history"` also `migrate_history_events`,
/// `migrate_history_seeds`, the function `migrate_history_digest_void`
/// and the triggers calling it) and objects that belong to an extension.
///
/// One query, hence one consistent view of the catalogs.
pub(crate) fn postgres(
    client: &mut crate::postgres::Client,
    skip: &str,
) -> Result<Snapshot, crate::postgres::Error> {
    let sql = [SCHEMAS, RELATIONS, COLUMNS, TABLE_PARTS, FUNCTIONS, TYPES].join(" UNION ALL ");
    let rows = client.query(&format!("{CTES}{sql}"), &[&skip])?;
    let mut snapshot = Snapshot::default();
    for row in rows {
        let key: Option<String> = row.try_get(0)?;
        let definition: Option<String> = row.try_get(1)?;
        if let Some(key) = key {
            snapshot.insert(key, definition.unwrap_or_default());
        }
    }
    Ok(snapshot)
}

#[cfg(test)]
mod tests;
