//! A TOML document for reading: every value with its byte span, tables in declaration order.
//!
//! berth reads a manifest on every command but edits one only in `berth init` and `berth task
//! add|remove|alias`, which go through `toml_edit` to keep the user's formatting. A format-preserving tree costs dozens of
//! allocations per task (decor, representations, a hash map per inline table), which made a
//! 10,000-task manifest take ~80 ms to read. The `toml` crate's `DeTable` (spans and borrowed
//! strings over the same `toml_parser`) lexes the whole document into tokens, then events,
//! before building its tree: `task list` on 10,000 tasks took 1.8× the CPU time and 29 MB
//! against 18 (bench/RESULTS.md). This tree is built straight from `toml_parser`'s events, a
//! chunk at a time, and keeps only what berth looks at: values, spans and order.
//!
//! It enforces TOML's rules for defining tables (no key or table defined twice, inline tables
//! closed, dotted keys only into tables no header defined), as `toml_edit` does; a
//! differential test keeps the two in agreement.

use std::borrow::Cow;
use std::ops::Range;

use hashbrown::HashTable;
use toml_parser::decoder::{Encoding, ScalarKind};
use toml_parser::lexer::TokenKind;
use toml_parser::parser::{EventReceiver, ValidateWhitespace};
use toml_parser::{ErrorSink, Expected, ParseError, Raw, Source};

pub type Span = Range<usize>;

/// A byte span as stored in the tree: two `u32`s rather than two `usize`s, since every node and
/// key has one (a manifest over 4 GiB is refused).
#[derive(Debug, Clone, Copy)]
struct Pos {
    start: u32,
    end: u32,
}

impl Pos {
    fn new(start: usize, end: usize) -> Pos {
        // `parse` refuses sources whose offsets do not fit.
        Pos {
            start: start as u32,
            end: end as u32,
        }
    }

    fn of(span: toml_parser::Span) -> Pos {
        Pos::new(span.start(), span.end())
    }

    fn range(self) -> Span {
        self.start as usize..self.end as usize
    }
}

/// How deep arrays, inline tables and key paths may nest (toml_edit's limit). Deeper input is
/// an error, so neither the parse nor dropping the tree can exhaust the stack.
const MAX_DEPTH: usize = 80;

/// A table with more keys than this gets a hash index; below it a scan is faster.
const INDEX_FROM: usize = 16;

/// How many tokens are parsed at a time (see `parse`).
const CHUNK_TOKENS: usize = 4096;

/// A value and where it is written.
#[derive(Debug)]
pub struct Node<'s> {
    span: Pos,
    pub value: Value<'s>,
}

/// berth never reads a float or a date; they are checked and kept as their kind only.
#[derive(Debug)]
pub enum Value<'s> {
    /// Borrowed from the source unless escapes had to be decoded.
    String(Cow<'s, str>),
    Integer(i64),
    Float,
    Boolean(bool),
    Datetime,
    Array(Array<'s>),
    Table(Table<'s>),
}

#[derive(Debug)]
pub struct Array<'s> {
    items: Vec<Node<'s>>,
    /// Written as `[[name]]` headers rather than `[ … ]`.
    of_tables: bool,
}

#[derive(Debug)]
pub struct Table<'s> {
    entries: Vec<Entry<'s>>,
    /// Positions in `entries` by key hash, once the table is large.
    /// (Boxed: most tables are small, and every value is as large as the largest kind.)
    index: Option<Box<HashTable<usize>>>,
    origin: Origin,
}

#[derive(Debug)]
struct Entry<'s> {
    key: Cow<'s, str>,
    key_span: Pos,
    node: Node<'s>,
}

/// How a table came to exist, which decides what may still add keys to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// The root, or `[name]`.
    Header,
    /// A step on the way to a deeper `[a.b]`; a later `[a]` may still define it.
    Implicit,
    /// Created or defined by a dotted key (`a.b = 1`); only more dotted keys may extend it.
    Dotted,
    /// `{ … }`: closed once written.
    Inline,
}

/// The first problem in a document.
#[derive(Debug)]
pub struct Error {
    pub message: String,
    pub offset: Option<usize>,
}

/// Parse a whole document into its root table.
pub fn parse(source: &str) -> Result<Table<'_>, Error> {
    if u32::try_from(source.len()).is_err() {
        return Err(Error {
            message: "the file is larger than 4 GiB".into(),
            offset: None,
        });
    }
    let mut builder = Builder {
        source,
        root: Table::new(Origin::Header),
        current: Vec::new(),
        keys: Vec::new(),
        stack: Vec::new(),
        header_start: 0,
    };
    let mut first = FirstError(None);
    let mut receiver = ValidateWhitespace::new(&mut builder, Source::new(source));
    // The tokens are parsed a few thousand at a time, cut after a line that closes every
    // bracket (where a new key or header starts), so a large manifest never holds all its
    // tokens at once: a million-byte manifest has 300,000 of 24 bytes each.
    let mut chunk = Vec::with_capacity(CHUNK_TOKENS + 256);
    let mut depth = 0usize;
    for token in Source::new(source).lex() {
        match token.kind() {
            TokenKind::LeftSquareBracket | TokenKind::LeftCurlyBracket => depth += 1,
            TokenKind::RightSquareBracket | TokenKind::RightCurlyBracket => {
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        let line_done = token.kind() == TokenKind::Newline && depth == 0;
        chunk.push(token);
        if line_done && chunk.len() >= CHUNK_TOKENS {
            toml_parser::parser::parse_document(&chunk, &mut receiver, &mut first);
            chunk.clear();
            if first.0.is_some() {
                break;
            }
        }
    }
    if first.0.is_none() {
        toml_parser::parser::parse_document(&chunk, &mut receiver, &mut first);
    }
    match first.0 {
        None => Ok(builder.root),
        Some(error) => Err(Error {
            message: describe(&error),
            offset: error.unexpected().or(error.context()).map(|s| s.start()),
        }),
    }
}

fn describe(error: &ParseError) -> String {
    let expected: Vec<String> = error
        .expected()
        .unwrap_or_default()
        .iter()
        .filter_map(|e| match e {
            Expected::Literal(text) => Some(format!("`{text}`")),
            Expected::Description(text) => Some((*text).to_string()),
            _ => None,
        })
        .collect();
    if expected.is_empty() {
        error.description().to_string()
    } else {
        format!(
            "{}, expected {}",
            error.description(),
            expected.join(" or ")
        )
    }
}

impl<'s> Node<'s> {
    pub fn span(&self) -> Span {
        self.span.range()
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The string, as a copy that still borrows the source where the node does.
    pub fn as_text(&self) -> Option<Cow<'s, str>> {
        match &self.value {
            Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }

    pub fn is_str(&self) -> bool {
        matches!(self.value, Value::String(_))
    }

    pub fn as_integer(&self) -> Option<i64> {
        match self.value {
            Value::Integer(n) => Some(n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Boolean(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Array<'s>> {
        match &self.value {
            Value::Array(array) => Some(array),
            _ => None,
        }
    }

    pub fn as_table(&self) -> Option<&Table<'s>> {
        match &self.value {
            Value::Table(table) => Some(table),
            _ => None,
        }
    }

    /// `self[key]` when this is a table.
    pub fn get(&self, key: &str) -> Option<&Node<'s>> {
        self.as_table()?.get(key)
    }

    fn table(span: Pos, origin: Origin) -> Node<'s> {
        Node {
            span,
            value: Value::Table(Table::new(origin)),
        }
    }
}

impl<'s> Array<'s> {
    pub fn iter(&self) -> std::slice::Iter<'_, Node<'s>> {
        self.items.iter()
    }
}

impl<'s> Table<'s> {
    fn new(origin: Origin) -> Table<'s> {
        Table {
            entries: Vec::new(),
            index: None,
            origin,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn get(&self, key: &str) -> Option<&Node<'s>> {
        self.position(key).map(|i| &self.entries[i].node)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Where `key` itself is written.
    pub fn key_span(&self, key: &str) -> Option<Span> {
        self.position(key).map(|i| self.entries[i].key_span.range())
    }

    /// Keys and values in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node<'s>)> {
        self.entries.iter().map(|e| (e.key.as_ref(), &e.node))
    }

    /// Like `iter`, with keys that still borrow the source where the table does.
    pub fn iter_text(&self) -> impl Iterator<Item = (Cow<'s, str>, &Node<'s>)> {
        self.entries.iter().map(|e| (e.key.clone(), &e.node))
    }

    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index
                .find(hash(key), |&i| self.entries[i].key == key)
                .copied(),
            None => self.entries.iter().position(|e| e.key == key),
        }
    }

    /// Add an entry whose key is not in the table yet; its position.
    fn push(&mut self, key: Cow<'s, str>, key_span: Pos, node: Node<'s>) -> usize {
        let position = self.entries.len();
        let Table { entries, index, .. } = self;
        match index {
            Some(index) => {
                index.insert_unique(hash(&key), position, |&i| hash(&entries[i].key));
            }
            None if position + 1 > INDEX_FROM => {
                let mut built = HashTable::with_capacity(position * 2);
                for (i, entry) in entries.iter().enumerate() {
                    built.insert_unique(hash(&entry.key), i, |&i| hash(&entries[i].key));
                }
                built.insert_unique(hash(&key), position, |&i| hash(&entries[i].key));
                *index = Some(Box::new(built));
            }
            None => {}
        }
        entries.push(Entry {
            key,
            key_span,
            node,
        });
        position
    }

    fn node_mut(&mut self, position: usize) -> &mut Node<'s> {
        &mut self.entries[position].node
    }
}

fn hash(key: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(key.as_bytes())
}

struct FirstError(Option<ParseError>);

impl ErrorSink for FirstError {
    fn report_error(&mut self, error: ParseError) {
        self.0.get_or_insert(error);
    }
}

type Key<'s> = (Cow<'s, str>, Pos);

/// A value being read: an array or inline table whose closing bracket is still ahead.
enum Frame<'s> {
    Array {
        start: usize,
        items: Vec<Node<'s>>,
    },
    /// Its entries' keys are `Builder::keys[keys_from..]`.
    Table {
        start: usize,
        table: Table<'s>,
        keys_from: usize,
    },
}

/// Builds the tree from parser events. After a reported error the tree is thrown away, so
/// every step only has to stay safe (no panic, no unbounded work) on a broken event stream.
struct Builder<'s> {
    source: &'s str,
    root: Table<'s>,
    /// Entry positions from the root to the table `key = value` lines go into; a step onto
    /// an array of tables means its last table.
    current: Vec<usize>,
    /// Key parts read and not used yet: a header's, a top-level `key = value`'s, then those
    /// of the inline tables being read. One stack, so a key costs no allocation but its own.
    keys: Vec<Key<'s>>,
    stack: Vec<Frame<'s>>,
    /// Where the `[` of the header being read is.
    header_start: usize,
}

fn report(errors: &mut dyn ErrorSink, span: Pos, message: String) {
    let span = span.range();
    errors.report_error(
        ParseError::new(message)
            .with_unexpected(toml_parser::Span::new_unchecked(span.start, span.end)),
    );
}

fn dotted(keys: &[Key<'_>]) -> String {
    keys.iter()
        .map(|(k, _)| k.as_ref())
        .collect::<Vec<_>>()
        .join(".")
}

impl<'s> Builder<'s> {
    fn raw(&self, span: toml_parser::Span, encoding: Option<Encoding>) -> Raw<'s> {
        let source: &'s str = self.source;
        Raw::new_unchecked(&source[span.start()..span.end()], encoding, span)
    }

    /// Decode a scalar; a bad date or an out-of-range number is reported at `span`.
    fn scalar_value(&self, raw: Raw<'s>, span: Pos, errors: &mut dyn ErrorSink) -> Value<'s> {
        let mut text = Cow::Borrowed("");
        let kind = raw.decode_scalar(&mut text, errors);
        match kind {
            ScalarKind::String => Value::String(text),
            ScalarKind::Boolean(b) => Value::Boolean(b),
            ScalarKind::DateTime => {
                if let Err(err) = text.parse::<toml_datetime::Datetime>() {
                    report(errors, span, err.to_string());
                }
                Value::Datetime
            }
            ScalarKind::Float => {
                // `inf` and `nan` are infinite on purpose; digits that overflow are not.
                let unsigned = text.strip_prefix(['+', '-']).unwrap_or(&text);
                let named = unsigned.chars().all(|c| c.is_ascii_alphabetic());
                match text.parse::<f64>() {
                    Ok(value) if value.is_infinite() && !named => {
                        report(errors, span, "floating-point number overflowed".into());
                    }
                    Ok(_) => {}
                    Err(_) => report(errors, span, "invalid floating-point number".into()),
                }
                Value::Float
            }
            ScalarKind::Integer(radix) => match i64::from_str_radix(&text, radix.value()) {
                Ok(n) => Value::Integer(n),
                Err(_) => {
                    report(errors, span, "integer number overflowed".into());
                    Value::Integer(0)
                }
            },
        }
    }

    /// Put a finished value where it belongs: into the open array or inline table, else under
    /// the key just read in the current table.
    fn attach(&mut self, node: Node<'s>, errors: &mut dyn ErrorSink) {
        match self.stack.last_mut() {
            Some(Frame::Array { items, .. }) => items.push(node),
            Some(Frame::Table {
                table, keys_from, ..
            }) => insert(table, &mut self.keys, *keys_from, node, errors),
            None => {
                if let Some(table) = table_at(&mut self.root, &self.current) {
                    insert(table, &mut self.keys, 0, node, errors);
                }
                self.keys.clear();
            }
        }
    }

    /// `[a.b]` or `[[a.b]]`: find or make the table and make it current.
    fn open_table(&mut self, span: Pos, of_tables: bool, errors: &mut dyn ErrorSink) {
        let keys = std::mem::take(&mut self.keys);
        self.open_table_at(&keys, span, of_tables, errors);
        // Hand the buffer back, emptied, for the next key.
        self.keys = keys;
        self.keys.clear();
    }

    fn open_table_at(
        &mut self,
        keys: &[Key<'s>],
        span: Pos,
        of_tables: bool,
        errors: &mut dyn ErrorSink,
    ) {
        let Some(((last, last_span), parents)) = keys.split_last() else {
            return; // the parser reported the empty header
        };
        if keys.len() > MAX_DEPTH {
            report(
                errors,
                span,
                format!("a table header is limited to {MAX_DEPTH} keys"),
            );
            return;
        }
        let mut path = Vec::with_capacity(keys.len());
        let mut table = &mut self.root;
        for (depth, (key, key_span)) in parents.iter().enumerate() {
            let position = match table.position(key) {
                Some(position) => position,
                None => table.push(
                    key.clone(),
                    *key_span,
                    Node::table(*key_span, Origin::Implicit),
                ),
            };
            path.push(position);
            table = match step_into(table.node_mut(position)) {
                Some(next) => next,
                None => {
                    let name = dotted(&keys[..=depth]);
                    report(errors, *key_span, format!("`{name}` is not a table"));
                    return;
                }
            };
        }
        let name = dotted(keys);
        let header = if of_tables {
            format!("[[{name}]]")
        } else {
            format!("[{name}]")
        };
        let position = match table.position(last) {
            None if of_tables => {
                let array = Array {
                    items: vec![Node::table(span, Origin::Header)],
                    of_tables: true,
                };
                let node = Node {
                    span,
                    value: Value::Array(array),
                };
                table.push(last.clone(), *last_span, node)
            }
            None => table.push(last.clone(), *last_span, Node::table(span, Origin::Header)),
            Some(position) => {
                let problem = match (&mut table.node_mut(position).value, of_tables) {
                    (Value::Array(array), true) if array.of_tables => {
                        array.items.push(Node::table(span, Origin::Header));
                        None
                    }
                    (Value::Table(found), false) if found.origin == Origin::Implicit => {
                        found.origin = Origin::Header;
                        None
                    }
                    (Value::Table(found), false) if found.origin == Origin::Header => {
                        Some(format!("the table `{header}` is defined twice"))
                    }
                    _ => Some(format!(
                        "`{header}` redefines `{name}`, which is already a value or table"
                    )),
                };
                if let Some(problem) = problem {
                    report(errors, *last_span, problem);
                    return;
                }
                position
            }
        };
        path.push(position);
        self.current = path;
    }

    fn push_frame(&mut self, frame: Frame<'s>, span: Pos, errors: &mut dyn ErrorSink) -> bool {
        if self.stack.len() >= MAX_DEPTH {
            report(
                errors,
                span,
                format!("arrays and inline tables nest at most {MAX_DEPTH} deep"),
            );
            return false;
        }
        self.stack.push(frame);
        true
    }
}

/// The table a header path step lands on: a table that headers may extend, or the last
/// table of an array of tables.
fn step_into<'n, 's>(node: &'n mut Node<'s>) -> Option<&'n mut Table<'s>> {
    match &mut node.value {
        Value::Table(table) if table.origin != Origin::Inline => Some(table),
        Value::Array(array) if array.of_tables => match array.items.last_mut()?.value {
            Value::Table(ref mut table) => Some(table),
            _ => None,
        },
        _ => None,
    }
}

fn table_at<'t, 's>(root: &'t mut Table<'s>, path: &[usize]) -> Option<&'t mut Table<'s>> {
    let mut table = root;
    for &position in path {
        table = step_into(table.entries.get_mut(position).map(|e| &mut e.node)?)?;
    }
    Some(table)
}

/// `a.b.c = node` into `table`, taking the key parts `keys[from..]`: `a` and `b` are made, or
/// must be tables no header defined, and `c` must be new.
fn insert<'s>(
    table: &mut Table<'s>,
    keys: &mut Vec<Key<'s>>,
    from: usize,
    node: Node<'s>,
    errors: &mut dyn ErrorSink,
) {
    let path = keys.get_mut(from..).unwrap_or_default();
    add(table, path, node, errors);
    keys.truncate(from);
}

fn add<'s>(
    table: &mut Table<'s>,
    path: &mut [Key<'s>],
    node: Node<'s>,
    errors: &mut dyn ErrorSink,
) {
    let Some(parents) = path.len().checked_sub(1) else {
        return; // the parser reported the missing key
    };
    if parents >= MAX_DEPTH {
        report(
            errors,
            path[parents].1,
            format!("a dotted key is limited to {MAX_DEPTH} parts"),
        );
        return;
    }
    let mut table = table;
    for (depth, (key, key_span)) in path[..parents].iter().enumerate() {
        let position = match table.position(key) {
            Some(position) => position,
            None => table.push(
                key.clone(),
                *key_span,
                Node::table(*key_span, Origin::Dotted),
            ),
        };
        table = match &mut table.node_mut(position).value {
            // A table only a deeper header has mentioned is not defined yet; dotted keys may
            // define it, and then no header may.
            Value::Table(next) if matches!(next.origin, Origin::Dotted | Origin::Implicit) => {
                next.origin = Origin::Dotted;
                next
            }
            _ => {
                let whole = dotted(path);
                let name = dotted(&path[..=depth]);
                report(
                    errors,
                    *key_span,
                    format!(
                        "the dotted key `{whole}` cannot add to `{name}`, which is defined elsewhere"
                    ),
                );
                return;
            }
        };
    }
    let (last, last_span) = &mut path[parents];
    if table.position(last).is_some() {
        report(errors, *last_span, format!("duplicate key `{last}`"));
        return;
    }
    table.push(std::mem::take(last), *last_span, node);
}

impl<'s> EventReceiver for Builder<'s> {
    fn std_table_open(&mut self, span: toml_parser::Span, _errors: &mut dyn ErrorSink) {
        self.header_start = span.start();
        self.keys.clear();
    }

    fn std_table_close(&mut self, span: toml_parser::Span, errors: &mut dyn ErrorSink) {
        self.open_table(Pos::new(self.header_start, span.end()), false, errors);
    }

    fn array_table_open(&mut self, span: toml_parser::Span, _errors: &mut dyn ErrorSink) {
        self.header_start = span.start();
        self.keys.clear();
    }

    fn array_table_close(&mut self, span: toml_parser::Span, errors: &mut dyn ErrorSink) {
        self.open_table(Pos::new(self.header_start, span.end()), true, errors);
    }

    fn inline_table_open(&mut self, span: toml_parser::Span, errors: &mut dyn ErrorSink) -> bool {
        let frame = Frame::Table {
            start: span.start(),
            table: Table::new(Origin::Inline),
            keys_from: self.keys.len(),
        };
        self.push_frame(frame, Pos::of(span), errors)
    }

    fn inline_table_close(&mut self, span: toml_parser::Span, errors: &mut dyn ErrorSink) {
        if let Some(Frame::Table {
            start, mut table, ..
        }) = self.stack.pop()
        {
            // Inline tables are many and small: keep no spare capacity.
            table.entries.shrink_to_fit();
            let node = Node {
                span: Pos::new(start, span.end()),
                value: Value::Table(table),
            };
            self.attach(node, errors);
        }
    }

    fn array_open(&mut self, span: toml_parser::Span, errors: &mut dyn ErrorSink) -> bool {
        let frame = Frame::Array {
            start: span.start(),
            items: Vec::new(),
        };
        self.push_frame(frame, Pos::of(span), errors)
    }

    fn array_close(&mut self, span: toml_parser::Span, errors: &mut dyn ErrorSink) {
        if let Some(Frame::Array { start, mut items }) = self.stack.pop() {
            items.shrink_to_fit();
            let node = Node {
                span: Pos::new(start, span.end()),
                value: Value::Array(Array {
                    items,
                    of_tables: false,
                }),
            };
            self.attach(node, errors);
        }
    }

    fn simple_key(
        &mut self,
        span: toml_parser::Span,
        encoding: Option<Encoding>,
        errors: &mut dyn ErrorSink,
    ) {
        let mut key = Cow::Borrowed("");
        self.raw(span, encoding).decode_key(&mut key, errors);
        // A key inside an array is a syntax error the parser reports.
        if !matches!(self.stack.last(), Some(Frame::Array { .. })) {
            self.keys.push((key, Pos::of(span)));
        }
    }

    fn scalar(
        &mut self,
        span: toml_parser::Span,
        encoding: Option<Encoding>,
        errors: &mut dyn ErrorSink,
    ) {
        let pos = Pos::of(span);
        let value = self.scalar_value(self.raw(span, encoding), pos, errors);
        let node = Node { span: pos, value };
        self.attach(node, errors);
    }
}

#[cfg(test)]
mod tests;
