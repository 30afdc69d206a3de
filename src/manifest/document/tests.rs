//! The tree agrees with `toml_edit`, the parser berth used before (and still edits with),
//! on what is valid TOML and on what a valid document holds.

use proptest::prelude::*;

use super::*;

/// A comparable rendering of a value: kinds, keys and decoded scalars. Keys are sorted:
/// toml_edit moves a table to where its header defines it (`[a.b]` then `[a]`), this tree
/// keeps it where it first appears; berth's order-sensitive reads never meet that case.
fn ours(node: &Node) -> String {
    match &node.value {
        Value::String(s) => format!("{s:?}"),
        Value::Integer(n) => n.to_string(),
        Value::Float => "float".into(),
        Value::Boolean(b) => b.to_string(),
        Value::Datetime => "datetime".into(),
        Value::Array(array) => {
            let items: Vec<String> = array.iter().map(ours).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Table(table) => ours_table(table),
    }
}

fn ours_table(table: &Table) -> String {
    let mut entries: Vec<String> = table
        .iter()
        .map(|(k, v)| format!("{k:?}: {}", ours(v)))
        .collect();
    entries.sort();
    format!("{{{}}}", entries.join(", "))
}

fn theirs_item(item: &toml_edit::Item) -> String {
    match item {
        toml_edit::Item::None => "none".into(),
        toml_edit::Item::Value(value) => theirs_value(value),
        toml_edit::Item::Table(table) => theirs_table(table),
        toml_edit::Item::ArrayOfTables(array) => {
            let items: Vec<String> = array.iter().map(|t| theirs_table(t)).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

fn theirs_value(value: &toml_edit::Value) -> String {
    match value {
        toml_edit::Value::String(s) => format!("{:?}", s.value()),
        toml_edit::Value::Integer(n) => n.value().to_string(),
        toml_edit::Value::Float(_) => "float".into(),
        toml_edit::Value::Boolean(b) => b.value().to_string(),
        toml_edit::Value::Datetime(_) => "datetime".into(),
        toml_edit::Value::Array(array) => {
            let items: Vec<String> = array.iter().map(theirs_value).collect();
            format!("[{}]", items.join(", "))
        }
        toml_edit::Value::InlineTable(table) => theirs_table(table),
    }
}

fn theirs_table(table: &dyn toml_edit::TableLike) -> String {
    let mut entries: Vec<String> = table
        .iter()
        .map(|(k, v)| format!("{k:?}: {}", theirs_item(v)))
        .collect();
    entries.sort();
    format!("{{{}}}", entries.join(", "))
}

/// Both parsers' verdicts: the rendered document, or that it is invalid.
fn verdicts(text: &str) -> (Option<String>, Option<String>) {
    let ours = parse(text).ok().map(|root| ours_table(&root));
    let theirs = toml_edit::Document::parse(text)
        .ok()
        .map(|doc| theirs_table(doc.as_table()));
    (ours, theirs)
}

fn assert_agree(text: &str) {
    let (ours, theirs) = verdicts(text);
    assert_eq!(ours, theirs, "on:\n{text}");
}

#[test]
fn agrees_on_valid_documents() {
    for text in [
        "",
        "a = 1\nb = 'x'\nc = \"y\\n\"\nd = true\ne = 1.5\nf = 1979-05-27T07:32:00Z\n",
        "a = [1, [2, 3], { x = 1 }]\nb = { c.d = 1, c.e = 2 }\n",
        "[a.b.c]\nx = 1\n[a]\ny = 2\n",
        "[fruit]\napple.color = 'red'\n[fruit.apple.texture]\nsmooth = true\n",
        "[[p]]\nn = 1\n[p.q]\nm = 2\n[[p]]\nn = 3\n",
        "[[a.b]]\n[[a.b]]\nx = 1\n",
        "a.b.c = 1\na.b.d = 2\n[x]\n",
        "'quoted key' = 1\n\"a.b\" = 2\n",
        "int = [0xff, 0o7, 0b1, 1_000, -3, +4]\nfloat = [inf, -inf, nan, 1e10]\n",
        "ml = \"\"\"\nline\nline\"\"\"\nlit = '''\nraw\\n'''\n",
        "\u{feff}a = 1\n",
        "a = 1\r\nb = 2\r\n",
        "tasks = { t = { cmd = \"x\", depends-on = [\"a\", { task = \"b\" }] } }\n",
    ] {
        let (ours, theirs) = verdicts(text);
        assert!(
            theirs.is_some() || text.starts_with('\u{feff}'),
            "not valid TOML:\n{text}"
        );
        assert_eq!(ours, theirs, "on:\n{text}");
    }
}

#[test]
fn agrees_on_invalid_documents() {
    for text in [
        "a = 1\na = 2\n",
        "[a]\n[a]\n",
        "a = 1\n[a]\n",
        "[a]\nb = 1\n[a.b]\n",
        "[fruit]\napple.color = 'red'\n[fruit.apple]\n",
        "[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n",
        "a = { b = 1 }\n[a]\n",
        "a = { b = 1 }\na.c = 2\n",
        "a = [1]\n[[a]]\n",
        "[[a]]\n[a]\n",
        "[a]\n[[a]]\n",
        "a = { b = 1, b = 2 }\n",
        "a = 1 b = 2\n",
        "a = \n",
        "= 1\n",
        "[]\n",
        "a = 99999999999999999999\n",
        "a = 1e999\n",
        "a = 1979-13-27\n",
        "a = \"\\q\"\n",
        "a = [1,,2]\n",
        "a.b = 1\na.b.c = 2\n",
        "a = 'unterminated\n",
        "a = 1 # ok\nb = \u{7}\n",
    ] {
        let (ours, theirs) = verdicts(text);
        assert!(theirs.is_none(), "valid TOML:\n{text}");
        assert!(ours.is_none(), "accepted:\n{text}");
    }
}

#[test]
fn keys_keep_declaration_order() {
    let root = parse("z = 1\n[m]\n[a]\nc = 1\nb = 2\n").unwrap();
    let keys: Vec<&str> = root.iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["z", "m", "a"]);
    let a: Vec<&str> = root
        .get("a")
        .and_then(Node::as_table)
        .unwrap()
        .iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(a, ["c", "b"]);
}

#[test]
fn positions_are_byte_spans_of_the_source() {
    let text = "[tasks]\nbuild = { cmd = \"make\" }\n";
    let root = parse(text).unwrap();
    let tasks = root.get("tasks").and_then(Node::as_table).unwrap();
    assert_eq!(&text[tasks.key_span("build").unwrap()], "build");
    let build = tasks.get("build").unwrap();
    assert_eq!(&text[build.span()], "{ cmd = \"make\" }");
    assert_eq!(&text[build.get("cmd").unwrap().span()], "\"make\"");
}

#[test]
fn the_first_error_has_a_position() {
    let err = parse("a = 1\n[b]\nc = 1\nc = 2\n").unwrap_err();
    assert_eq!(err.offset, Some(16));
    assert_eq!(err.message, "duplicate key `c`");
}

#[test]
fn deep_nesting_is_an_error() {
    for depth in [81, 1000, 100_000] {
        let arrays = format!("a = {}{}\n", "[".repeat(depth), "]".repeat(depth));
        assert!(parse(&arrays).is_err(), "arrays {depth} deep");
        let keys = format!("{} = 1\n", vec!["k"; depth].join("."));
        assert!(parse(&keys).is_err(), "dotted key of {depth} parts");
        let header = format!("[{}]\n", vec!["k"; depth].join("."));
        assert!(parse(&header).is_err(), "header of {depth} parts");
    }
    assert!(parse(&format!("a = {}{}\n", "[".repeat(80), "]".repeat(80))).is_ok());
}

#[test]
fn large_tables_find_every_key() {
    let text: String = (0..1000).map(|i| format!("k{i} = {i}\n")).collect();
    let root = parse(&text).unwrap();
    assert_eq!(root.len(), 1000);
    for i in 0..1000 {
        assert_eq!(
            root.get(&format!("k{i}")).and_then(Node::as_integer),
            Some(i)
        );
    }
    assert!(parse(&format!("{text}k999 = 1\n")).is_err());
}

/// Documents much larger than one parse chunk, with values spanning lines at every offset,
/// read the same as in one piece.
#[test]
fn chunked_parsing_agrees_on_large_documents() {
    let mut text = String::from("# many tables\n");
    for i in 0..3000 {
        match i % 5 {
            0 => text.push_str(&format!("[t{i}]\nk = [\n  1,\n  2, # two\n]\n")),
            1 => text.push_str(&format!("m{i} = \"\"\"\nline [\n{{ {i}\n\"\"\"\n")),
            2 => text.push_str(&format!(
                "n{i} = {{ a = [[1], [2]],\n b = {{ c = '{i}' }} }}\n"
            )),
            3 => text.push_str(&format!("[[a{}]]\nx.y = {i}\n", i % 7)),
            _ => text.push_str(&format!("\n\n'q{i}' = 1979-05-27T00:00:00Z\n")),
        }
    }
    assert!(Source::new(&text).lex().count() > 10 * CHUNK_TOKENS);
    let (ours, theirs) = verdicts(&text);
    assert!(theirs.is_some());
    assert_eq!(ours, theirs);
    // `q2999` sits under the last header, `[t2995]`.
    let broken = format!("{text}'q2999' = 2\n");
    let Err(err) = parse(&broken) else {
        panic!("a duplicate key is an error");
    };
    assert_eq!(err.offset, Some(text.len()));
    assert!(err.message.contains("duplicate key"), "{}", err.message);
}

/// Lines that define tables and keys in every way TOML allows, so random documents hit the
/// rules about what may be defined twice or extended. Arrays of tables are named `t` and
/// `a.t`, and `t` never starts a dotted key: whether a dotted key may reach into the last
/// table of an array is left open by TOML, and this tree refuses it.
fn line() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec!["a", "b", "t", "a.b", "b.a", "a.b.c", "'a'", "\"b\""]);
    let value = prop::sample::select(vec![
        "1",
        "'x'",
        "{}",
        "{ c = 1 }",
        "{ b.c = 1 }",
        "[]",
        "[{ a = 1 }]",
        "1979-05-27",
    ]);
    let array = prop::sample::select(vec!["t", "a.t"]);
    prop_oneof![
        (key.clone(), value).prop_map(|(k, v)| format!("{k} = {v}")),
        key.prop_map(|k| format!("[{k}]")),
        array.prop_map(|k| format!("[[{k}]]")),
    ]
}

proptest! {
    #![proptest_config(crate::proptest_config::cases(512))]

    #[test]
    fn prop_agrees_with_toml_edit(lines in prop::collection::vec(line(), 0..8)) {
        assert_agree(&(lines.join("\n") + "\n"));
    }
}
