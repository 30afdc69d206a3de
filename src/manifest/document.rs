//! A TOML document for reading: every value with its byte span, tables in declaration order.
//!
//! The tree is the `toml` crate's `DeTable`, built from `toml_parser`'s events (the parser
//! under `toml_edit` too): values with their spans, keys and strings borrowed from the source
//! unless escapes had to be decoded, tables in declaration order (`preserve_order`). berth
//! edits a manifest only in `berth init`, through `toml_edit`, which keeps the user's
//! formatting at a cost (decor and representations per value) that reading does not need.
//!
//! This module adds what `DeTable` leaves to a deserializer, so that the same documents are
//! valid as for `toml_edit` (TOML 1.1): integers and floats must fit, which `DeTable` keeps as
//! text. It also gives every error a position and names the key a duplicate-key error is
//! about.

use std::borrow::Cow;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};
use toml_parser::parser::EventReceiver;
use toml_parser::{ErrorSink, ParseError, Source};

pub type Span = Range<usize>;
/// A value and where it is written.
pub type Node<'s> = Spanned<DeValue<'s>>;
pub type Value<'s> = DeValue<'s>;
pub type Table<'s> = DeTable<'s>;
pub type Array<'s> = DeArray<'s>;

/// How many parts a key path may have (a limit of `toml` and `toml_edit`, which report it
/// without a position).
const MAX_KEY_PARTS: usize = 80;

/// The first problem in a document.
#[derive(Debug)]
pub struct Error {
    pub message: String,
    pub offset: Option<usize>,
}

/// Parse a whole document into its root table.
pub fn parse(source: &str) -> Result<Table<'_>, Error> {
    let root = DeTable::parse(source)
        .map_err(|err| error(source, err))?
        .into_inner();
    check_numbers(&root)?;
    Ok(root)
}

fn error(source: &str, err: toml::de::Error) -> Error {
    let span = err.span();
    let message = match &span {
        Some(span) if err.message() == "duplicate key" => {
            format!("duplicate key `{}`", &source[span.clone()])
        }
        _ => err.message().to_string(),
    };
    match span {
        Some(span) => Error {
            message,
            offset: Some(span.start),
        },
        None if message == "recursion limit" => Error {
            message: format!("a key path is limited to {MAX_KEY_PARTS} parts"),
            offset: long_key_path(source),
        },
        None => Error {
            message,
            offset: None,
        },
    }
}

/// Where the first key path with more than [`MAX_KEY_PARTS`] parts is written.
fn long_key_path(source: &str) -> Option<usize> {
    struct Finder {
        parts: usize,
        found: Option<usize>,
    }
    impl EventReceiver for Finder {
        fn simple_key(
            &mut self,
            span: toml_parser::Span,
            _: Option<toml_parser::decoder::Encoding>,
            _: &mut dyn ErrorSink,
        ) {
            self.parts += 1;
            if self.parts > MAX_KEY_PARTS {
                self.found.get_or_insert(span.start());
            }
        }
        fn key_val_sep(&mut self, _: toml_parser::Span, _: &mut dyn ErrorSink) {
            self.parts = 0;
        }
        fn std_table_close(&mut self, _: toml_parser::Span, _: &mut dyn ErrorSink) {
            self.parts = 0;
        }
        fn array_table_close(&mut self, _: toml_parser::Span, _: &mut dyn ErrorSink) {
            self.parts = 0;
        }
    }
    struct Ignore;
    impl ErrorSink for Ignore {
        fn report_error(&mut self, _: ParseError) {}
    }
    let tokens = Source::new(source).lex().into_vec();
    let mut finder = Finder {
        parts: 0,
        found: None,
    };
    toml_parser::parser::parse_document(&tokens, &mut finder, &mut Ignore);
    finder.found
}

/// `DeTable` keeps numbers as text; `toml_edit` refuses one that does not fit. The walk
/// recurses: `toml` limits nesting (arrays and inline tables 80 deep, key paths 80 parts).
fn check_numbers(table: &Table) -> Result<(), Error> {
    table.values().try_for_each(check_node)
}

fn check_node(node: &Node) -> Result<(), Error> {
    let problem = match node.get_ref() {
        DeValue::Integer(n) => i64::from_str_radix(n.as_str(), n.radix())
            .is_err()
            .then_some("integer number overflowed"),
        // `inf` and `nan` are infinite on purpose; digits that overflow are not.
        DeValue::Float(f) => match f.as_str().parse::<f64>() {
            Ok(value) if value.is_infinite() && !f.as_str().contains("inf") => {
                Some("floating-point number overflowed")
            }
            Ok(_) => None,
            Err(_) => Some("invalid floating-point number"),
        },
        DeValue::Array(array) => return array.iter().try_for_each(check_node),
        DeValue::Table(table) => return check_numbers(table),
        DeValue::String(_) | DeValue::Boolean(_) | DeValue::Datetime(_) => None,
    };
    match problem {
        Some(message) => Err(Error {
            message: message.into(),
            offset: Some(node.span().start),
        }),
        None => Ok(()),
    }
}

/// What berth reads from a value.
pub trait NodeExt<'s> {
    fn as_str(&self) -> Option<&str>;
    /// The string, as a copy that still borrows the source where the node does.
    fn as_text(&self) -> Option<Cow<'s, str>>;
    fn is_str(&self) -> bool;
    fn as_integer(&self) -> Option<i64>;
    fn as_bool(&self) -> Option<bool>;
    fn as_array(&self) -> Option<&Array<'s>>;
    fn as_table(&self) -> Option<&Table<'s>>;
    /// `self[key]` when this is a table.
    fn get(&self, key: &str) -> Option<&Node<'s>>;
}

impl<'s> NodeExt<'s> for Node<'s> {
    fn as_str(&self) -> Option<&str> {
        self.get_ref().as_str()
    }

    fn as_text(&self) -> Option<Cow<'s, str>> {
        match self.get_ref() {
            DeValue::String(s) => Some(s.clone()),
            _ => None,
        }
    }

    fn is_str(&self) -> bool {
        self.get_ref().is_str()
    }

    fn as_integer(&self) -> Option<i64> {
        let n = self.get_ref().as_integer()?;
        // `parse` checked that it fits.
        i64::from_str_radix(n.as_str(), n.radix()).ok()
    }

    fn as_bool(&self) -> Option<bool> {
        self.get_ref().as_bool()
    }

    fn as_array(&self) -> Option<&Array<'s>> {
        self.get_ref().as_array()
    }

    fn as_table(&self) -> Option<&Table<'s>> {
        self.get_ref().as_table()
    }

    fn get(&self, key: &str) -> Option<&Node<'s>> {
        self.as_table()?.get(key)
    }
}

/// What berth reads from a table besides `get`, `contains_key` and `len`.
pub trait TableExt<'s> {
    /// Keys and values in declaration order.
    fn entries<'t>(&'t self) -> impl Iterator<Item = (&'t str, &'t Node<'s>)>
    where
        's: 't;
    /// Like `entries`, with keys that still borrow the source where the table does, and
    /// where each key is written.
    fn entries_text<'t>(&'t self) -> impl Iterator<Item = (Cow<'s, str>, Span, &'t Node<'s>)>
    where
        's: 't;
    /// Where `key` itself is written.
    fn key_span(&self, key: &str) -> Option<Span>;
}

impl<'s> TableExt<'s> for Table<'s> {
    fn entries<'t>(&'t self) -> impl Iterator<Item = (&'t str, &'t Node<'s>)>
    where
        's: 't,
    {
        self.iter().map(|(k, v)| (k.get_ref().as_ref(), v))
    }

    fn entries_text<'t>(&'t self) -> impl Iterator<Item = (Cow<'s, str>, Span, &'t Node<'s>)>
    where
        's: 't,
    {
        self.iter().map(|(k, v)| (k.get_ref().clone(), k.span(), v))
    }

    fn key_span(&self, key: &str) -> Option<Span> {
        self.get_key_value(key).map(|(k, _)| k.span())
    }
}

#[cfg(test)]
mod tests;
