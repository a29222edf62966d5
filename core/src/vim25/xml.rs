//! The small XML layer vim25 documents need: a writer whose only way to emit a value is
//! through a strict escape function, and a namespace-aware reader that builds a tiny element
//! tree (vim25 data objects have no mixed content). Prefixes are never matched literally:
//! govmomi writes `XMLSchema-instance:type`, pyVmomi `xsi:type`, both mean the same.

use quick_xml::XmlVersion;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

pub const NS_VIM25: &str = "urn:vim25";
pub const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
pub const NS_XSD: &str = "http://www.w3.org/2001/XMLSchema";
pub const NS_SOAPENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// XML 1.0 `Char`: what a document may contain at all, even as a character reference.
pub fn is_xml_char(c: char) -> bool {
    matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// The first character of `s` XML 1.0 cannot carry, if any.
pub fn first_illegal_char(s: &str) -> Option<char> {
    s.chars().find(|c| !is_xml_char(*c))
}

/// Starts a placeholder inside a value (see [`placeholder`]). U+FFFF is not an XML `Char`,
/// so no user value can hold it: validation reports it, [`escape_into`] would refuse it.
const PLACEHOLDER_MARK: char = '\u{FFFF}';

/// A value the writer emits as the raw text `${body}`, for the submitter to fill in
/// ([`super::placeholder`]). Every `${` in any other value is written `&#36;{` (the same
/// text to an XML reader), so in a rendered document's bytes `${` stands only where guestnet
/// put a placeholder: a Sysprep `fullName` of `${secret:admin/password}` stays that text.
pub fn placeholder(body: &str) -> String {
    format!("{PLACEHOLDER_MARK}{body}}}")
}

/// Escapes `s` for element content (`attr == false`) or a double-quoted attribute value.
/// Markup characters become entities (`>` too, so `]]>` cannot appear); CR, C1 controls and,
/// in attributes, quotes, tab and LF become references so that neither end-of-line nor
/// attribute-value normalisation can change them; `$` before `{` becomes `&#36;` so that only
/// [`placeholder`]s appear as `${` in the output. Characters XML cannot carry at all are
/// refused: validation reports them before rendering.
pub fn escape_into(s: &str, out: &mut String, attr: bool) -> Result<(), char> {
    // A placeholder is a whole value of the form [`placeholder`] builds, with a known body.
    if let Some(body) = s
        .strip_prefix(PLACEHOLDER_MARK)
        .and_then(|rest| rest.strip_suffix('}'))
    {
        if super::placeholder::Placeholder::parse(body).is_none() {
            return Err(PLACEHOLDER_MARK);
        }
        out.push_str("${");
        out.push_str(body);
        out.push('}');
        return Ok(());
    }
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' if chars.peek() == Some(&'{') => out.push_str("&#36;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\'' if attr => out.push_str("&apos;"),
            '\t' if attr => out.push_str("&#9;"),
            '\n' if attr => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\u{7f}'..='\u{9f}' => {
                out.push_str("&#");
                out.push_str(&(c as u32).to_string());
                out.push(';');
            }
            c if is_xml_char(c) => out.push(c),
            c => return Err(c),
        }
    }
    Ok(())
}

/// A value that could not be written: the element it belonged to and the character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IllegalValue {
    pub element: String,
    pub ch: char,
}

/// Writes one element per line, two-space indentation. Element and attribute *names* are
/// the writer's own constants; every value goes through [`escape_into`].
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
    /// Open elements and whether each has children yet.
    stack: Vec<(&'static str, bool)>,
    error: Option<IllegalValue>,
}

impl XmlWriter {
    pub fn new() -> Self {
        let mut w = XmlWriter::default();
        w.out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        w
    }

    fn line(&mut self) {
        if let Some(top) = self.stack.last_mut() {
            top.1 = true;
        }
        self.out.push('\n');
        for _ in 0..self.stack.len() {
            self.out.push_str("  ");
        }
    }

    fn value(&mut self, element: &str, v: &str, attr: bool) {
        if let Err(ch) = escape_into(v, &mut self.out, attr)
            && self.error.is_none()
        {
            self.error = Some(IllegalValue {
                element: element.to_string(),
                ch,
            });
        }
    }

    fn start_tag(&mut self, name: &'static str, attrs: &[(&'static str, &str)]) {
        self.line();
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            self.value(name, v, true);
            self.out.push('"');
        }
    }

    /// `<name attrs>`; children follow until [`close`](Self::close).
    pub fn open(&mut self, name: &'static str, attrs: &[(&'static str, &str)]) {
        self.start_tag(name, attrs);
        self.out.push('>');
        self.stack.push((name, false));
    }

    pub fn close(&mut self) {
        if let Some((name, children)) = self.stack.pop() {
            if children {
                self.out.push('\n');
                for _ in 0..self.stack.len() {
                    self.out.push_str("  ");
                }
            }
            self.out.push_str("</");
            self.out.push_str(name);
            self.out.push('>');
        }
    }

    /// `<name attrs/>`.
    pub fn empty(&mut self, name: &'static str, attrs: &[(&'static str, &str)]) {
        self.start_tag(name, attrs);
        self.out.push_str("/>");
    }

    /// `<name>value</name>` (an empty value is `<name></name>`, never `<name/>`, so a
    /// required string stays visibly present).
    pub fn leaf(&mut self, name: &'static str, value: &str) {
        self.start_tag(name, &[]);
        self.out.push('>');
        self.value(name, value, false);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// `<name attrs>value</name>` (managed object references).
    pub fn leaf_with(&mut self, name: &'static str, attrs: &[(&'static str, &str)], value: &str) {
        self.start_tag(name, attrs);
        self.out.push('>');
        self.value(name, value, false);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    pub fn leaf_opt(&mut self, name: &'static str, value: Option<&str>) {
        if let Some(v) = value {
            self.leaf(name, v);
        }
    }

    pub fn leaves(&mut self, name: &'static str, values: &[String]) {
        for v in values {
            self.leaf(name, v);
        }
    }

    pub fn finish(mut self) -> Result<String, IllegalValue> {
        while !self.stack.is_empty() {
            self.close();
        }
        match self.error {
            Some(e) => Err(e),
            None => {
                self.out.push('\n');
                Ok(self.out)
            }
        }
    }
}

/// A namespace-qualified name: the namespace URI (empty when unbound) and the local part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QName {
    pub ns: String,
    pub local: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: QName,
    pub value: String,
}

/// One element of the tree. `text` is the concatenated character data directly inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: QName,
    pub attrs: Vec<Attribute>,
    /// `xsi:type` (under any prefix) with its value's prefix resolved.
    pub xsi_type: Option<QName>,
    pub children: Vec<Element>,
    pub text: String,
    /// Byte offset of the start tag in the input.
    pub offset: usize,
}

impl Element {
    pub fn child(&self, local: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name.local == local)
    }
}

/// Why the input is not a usable XML document, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    pub message: String,
    pub offset: usize,
}

/// Limits for untrusted input.
const MAX_DEPTH: usize = 64;
const MAX_ELEMENTS: usize = 200_000;

fn resolved(r: ResolveResult<'_>) -> Result<String, String> {
    match r {
        ResolveResult::Bound(ns) => Ok(ns.0.to_string()),
        ResolveResult::Unbound => Ok(String::new()),
        ResolveResult::Unknown(p) => Err(format!("namespace prefix `{p}` is not declared")),
    }
}

/// Like [`resolved`], but an undeclared `xsi`/`xsd` prefix means the XML Schema namespaces:
/// spec fragments cut out of SOAP bodies (and vim25 documentation) routinely use them
/// without the declarations, and no other reading is plausible.
fn resolved_schema(r: ResolveResult<'_>) -> Result<String, String> {
    match r {
        ResolveResult::Unknown(p) if p == "xsi" => Ok(NS_XSI.to_string()),
        ResolveResult::Unknown(p) if p == "xsd" => Ok(NS_XSD.to_string()),
        other => resolved(other),
    }
}

fn check_chars(s: &str, offset: usize) -> Result<(), XmlError> {
    match first_illegal_char(s) {
        Some(c) => Err(XmlError {
            message: format!("character U+{:04X} is not allowed in XML 1.0", c as u32),
            offset,
        }),
        None => Ok(()),
    }
}

fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// Parses a whole document into its root element. DTDs are refused (no entity expansion).
pub fn parse(text: &str) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_str(text);
    reader.config_mut().enable_all_checks(true);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    loop {
        let offset = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let (ns, event) = match reader.read_resolved_event() {
            Ok((ns, ev)) => (resolved(ns), ev),
            Err(e) => {
                return Err(XmlError {
                    message: e.to_string(),
                    offset: usize::try_from(reader.error_position()).unwrap_or(offset),
                });
            }
        };
        let err = |message: String| XmlError { message, offset };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                count += 1;
                if stack.len() >= MAX_DEPTH || count > MAX_ELEMENTS {
                    return Err(err(
                        "the document is nested too deeply or is too large".into()
                    ));
                }
                if root.is_some() {
                    return Err(err("content after the root element".into()));
                }
                let ns = ns.map_err(&err)?;
                let local = e.local_name().into_inner().to_string();
                let mut attrs = Vec::new();
                let mut xsi_type = None;
                for a in e.attributes() {
                    let a = a.map_err(|x| err(x.to_string()))?;
                    let (ans, alocal) = reader.resolver().resolve_attribute(a.key);
                    let ans = resolved_schema(ans).map_err(&err)?;
                    let alocal = alocal.into_inner().to_string();
                    let value = a
                        .normalized_value(XmlVersion::Implicit1_0)
                        .map_err(|x| err(x.to_string()))?
                        .into_owned();
                    check_chars(&value, offset)?;
                    if ans == "http://www.w3.org/2000/xmlns/"
                        || a.key.0 == "xmlns"
                        || a.key.0.starts_with("xmlns:")
                    {
                        continue;
                    }
                    if ans == NS_XSI && alocal == "type" {
                        let v = value.trim();
                        let qn = quick_xml::name::QName(v);
                        let tns =
                            resolved_schema(reader.resolver().resolve_prefix(qn.prefix(), true))
                                .map_err(&err)?;
                        let tlocal = qn.local_name().into_inner();
                        xsi_type = Some(QName {
                            ns: tns,
                            local: tlocal.to_string(),
                        });
                        continue;
                    }
                    attrs.push(Attribute {
                        name: QName {
                            ns: ans,
                            local: alocal,
                        },
                        value,
                    });
                }
                let el = Element {
                    name: QName { ns, local },
                    attrs,
                    xsi_type,
                    children: Vec::new(),
                    text: String::new(),
                    offset,
                };
                if matches!(event, Event::Start(_)) {
                    stack.push(el);
                } else {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(el),
                        None => root = Some(el),
                    }
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err(err("unexpected end tag".into()));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let s = t.xml10_content();
                check_chars(&s, offset)?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => return Err(err("text outside the root element".into())),
                }
            }
            Event::CData(t) => {
                let s = t.xml10_content();
                check_chars(&s, offset)?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&s),
                    None => return Err(err("CDATA outside the root element".into())),
                }
            }
            Event::GeneralRef(r) => {
                let ch = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => predefined(&r).ok_or_else(|| {
                        err(format!(
                            "entity `&{};` is not defined (DTDs are not accepted)",
                            &*r
                        ))
                    })?,
                    Err(e) => return Err(err(e.to_string())),
                };
                if !is_xml_char(ch) {
                    return Err(err(format!(
                        "character reference to U+{:04X} is not allowed in XML 1.0",
                        ch as u32
                    )));
                }
                match stack.last_mut() {
                    Some(el) => el.text.push(ch),
                    None => return Err(err("reference outside the root element".into())),
                }
            }
            Event::DocType(_) => return Err(err("DTDs are not accepted".into())),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError {
            message: "the document ends inside an element".into(),
            offset: text.len(),
        });
    }
    root.ok_or(XmlError {
        message: "the document has no root element".into(),
        offset: 0,
    })
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_refuses_illegal_chars() {
        let mut s = String::new();
        escape_into("a<b&c]]>\"'\r\n\t\u{85}", &mut s, false).unwrap();
        assert_eq!(s, "a&lt;b&amp;c]]&gt;\"'&#13;\n\t&#133;");
        let mut s = String::new();
        escape_into("\"'\t\n", &mut s, true).unwrap();
        assert_eq!(s, "&quot;&apos;&#9;&#10;");
        assert_eq!(
            escape_into("x\u{1}", &mut String::new(), false),
            Err('\u{1}')
        );
        assert_eq!(
            escape_into("x\u{fffe}", &mut String::new(), true),
            Err('\u{fffe}')
        );
    }

    #[test]
    fn writer_reader_round_trip_any_prefix() {
        let mut w = XmlWriter::new();
        w.open("root", &[("xmlns", NS_VIM25), ("xmlns:xsi", NS_XSI)]);
        w.leaf("a", "x < y && ]]> \r\n z");
        w.empty("b", &[("xsi:type", "T"), ("note", " \"a\"\tb\nc ")]);
        w.open("c", &[]);
        w.close();
        w.close();
        let text = w.finish().unwrap();
        let root = parse(&text).unwrap();
        assert_eq!(root.name.ns, NS_VIM25);
        assert_eq!(root.child("a").unwrap().text, "x < y && ]]> \r\n z");
        let b = root.child("b").unwrap();
        assert_eq!(b.xsi_type.as_ref().unwrap().local, "T");
        assert_eq!(b.xsi_type.as_ref().unwrap().ns, NS_VIM25);
        assert_eq!(b.attrs[0].value, " \"a\"\tb\nc ");
        assert!(text.contains("<c></c>"), "{text}");

        let govmomi = r#"<spec xmlns="urn:vim25"><ip xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance" XMLSchema-instance:type="CustomizationDhcpIpGenerator"/></spec>"#;
        let root = parse(govmomi).unwrap();
        assert_eq!(
            root.child("ip").unwrap().xsi_type.as_ref().unwrap().local,
            "CustomizationDhcpIpGenerator"
        );
    }

    #[test]
    fn refuses_dtd_unknown_entities_and_bad_refs() {
        assert!(parse("<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>").is_err());
        assert!(parse("<x>&a;</x>").is_err());
        assert!(parse("<x>&#1;</x>").is_err());
        assert!(parse("<x>\u{1}</x>").is_err());
        assert!(parse("<x><y></x>").is_err());
        assert!(parse("<x/><y/>").is_err());
        assert!(parse("<p:x/>").is_err());
        assert!(parse("<x p:a=\"1\"/>").is_err());
        let frag = parse("<spec><ip xsi:type=\"xsd:string\"/></spec>").unwrap();
        let t = frag.child("ip").unwrap().xsi_type.clone().unwrap();
        assert_eq!((t.ns.as_str(), t.local.as_str()), (NS_XSD, "string"));
        assert_eq!(parse("<x>&#x3c;&lt;</x>").unwrap().text, "<<");
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncé\nx", 7), (3, 1));
        assert_eq!(line_col("ab\ncéx", 6), (2, 3));
    }
}
