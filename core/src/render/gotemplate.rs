//! A small, bounded, panic-free evaluator for the Go `text/template` subset vm-operator's
//! vApp property templates use: text and `{{ }}` actions (with `{{-`/`-}}` trimming and
//! comments), pipelines, parenthesised calls, field chains on the data (`.V1alpha6.Net.Devices`,
//! `.V1alpha1.VM.Name`), variables (`$x := ...`, `$`), string/raw-string/int/bool literals,
//! the builtins `printf`, `print`, `index`, `len`, `eq`, `ne`, `not`, `and`, `or`, and the
//! functions a caller registers (vm-operator's `V1alphaN_*`).
//!
//! Two kinds of failure: [`Failure::Exec`] is an error Go would report too (vm-operator then
//! keeps the raw string), [`Failure::Unsupported`] is a construct outside this subset.

use std::collections::BTreeMap;

/// A template value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Str(String),
    Int(i64),
    Bool(bool),
    Strs(Vec<String>),
    /// A Go struct: its type name, whether every field is modelled, and the fields.
    Struct(&'static str, bool, Vec<(&'static str, Val)>),
    List(Vec<Val>),
    Map(BTreeMap<String, String>),
    /// A missing map key (`<no value>` when printed).
    NoValue,
}

impl Val {
    fn type_name(&self) -> &'static str {
        match self {
            Val::Str(_) => "string",
            Val::Int(_) => "int",
            Val::Bool(_) => "bool",
            Val::Strs(_) => "[]string",
            Val::Struct(n, ..) => n,
            Val::List(_) => "[]struct",
            Val::Map(_) => "map[string]string",
            Val::NoValue => "<nil>",
        }
    }

    fn truthy(&self) -> bool {
        match self {
            Val::Str(s) => !s.is_empty(),
            Val::Int(i) => *i != 0,
            Val::Bool(b) => *b,
            Val::Strs(v) => !v.is_empty(),
            Val::List(v) => !v.is_empty(),
            Val::Map(m) => !m.is_empty(),
            Val::Struct(..) => true,
            Val::NoValue => false,
        }
    }

    /// Go's `%v` / text/template printing.
    fn print(&self) -> Result<String, Failure> {
        Ok(match self {
            Val::Str(s) => s.clone(),
            Val::Int(i) => i.to_string(),
            Val::Bool(b) => b.to_string(),
            Val::Strs(v) => format!("[{}]", v.join(" ")),
            Val::Map(m) => format!(
                "map[{}]",
                m.iter()
                    .map(|(k, v)| format!("{k}:{v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            Val::NoValue => "<no value>".into(),
            Val::Struct(..) | Val::List(_) => {
                return Err(Failure::Unsupported(format!(
                    "printing a whole {} value",
                    self.type_name()
                )));
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Go's text/template would fail too (message in Go's words where known).
    Exec(String),
    /// Outside the subset guestnet evaluates.
    Unsupported(String),
}

/// Parameter kinds of registered functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    Int,
    Str,
}

/// A function the caller provides.
pub type Func<'a> = Box<dyn Fn(&[Val]) -> Result<Val, String> + 'a>;

pub struct Env<'a> {
    pub data: Val,
    pub funcs: BTreeMap<&'static str, (Vec<Param>, Func<'a>)>,
}

impl std::fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("funcs", &self.funcs.keys().collect::<Vec<_>>())
            .finish()
    }
}

const MAX_DEPTH: usize = 32;
const MAX_OUTPUT: usize = 1 << 20;
const MAX_WIDTH: usize = 4096;

// ---------- lexer ----------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Field(Vec<String>),
    Var(String, Vec<String>),
    Str(String),
    Int(i64),
    Bool(bool),
    LParen,
    /// `)` followed by a field chain, e.g. `(index ...).Gateway4`.
    RParen(Vec<String>),
    Pipe,
    Decl,
    Assign,
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn field_chain(chars: &[char], i: &mut usize) -> Vec<String> {
    let mut out = Vec::new();
    while *i < chars.len() && chars[*i] == '.' {
        let start = *i + 1;
        let mut j = start;
        while j < chars.len() && is_ident_char(chars[j]) {
            j += 1;
        }
        if j == start {
            break;
        }
        out.push(chars[start..j].iter().collect());
        *i = j;
    }
    out
}

fn lex_action(src: &str) -> Result<Vec<Tok>, Failure> {
    let chars: Vec<char> = src.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    let unsupported = |what: String| Err(Failure::Unsupported(what));
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\r' | '\n' => i += 1,
            '(' => {
                toks.push(Tok::LParen);
                i += 1;
            }
            ')' => {
                i += 1;
                let chain = field_chain(&chars, &mut i);
                toks.push(Tok::RParen(chain));
            }
            '|' => {
                if chars.get(i + 1) == Some(&'|') {
                    return unsupported("the operator ||".into());
                }
                toks.push(Tok::Pipe);
                i += 1;
            }
            ':' if chars.get(i + 1) == Some(&'=') => {
                toks.push(Tok::Decl);
                i += 2;
            }
            '=' => {
                toks.push(Tok::Assign);
                i += 1;
            }
            '.' => {
                if chars
                    .get(i + 1)
                    .is_some_and(|c| is_ident_char(*c) && !c.is_ascii_digit())
                {
                    let chain = field_chain(&chars, &mut i);
                    toks.push(Tok::Field(chain));
                } else {
                    toks.push(Tok::Field(Vec::new()));
                    i += 1;
                }
            }
            '$' => {
                let start = i + 1;
                let mut j = start;
                while j < chars.len() && is_ident_char(chars[j]) {
                    j += 1;
                }
                let name: String = chars[start..j].iter().collect();
                i = j;
                let chain = field_chain(&chars, &mut i);
                toks.push(Tok::Var(name, chain));
            }
            '"' => {
                let mut s = String::new();
                i += 1;
                loop {
                    let Some(&c) = chars.get(i) else {
                        return Err(Failure::Exec("unterminated quoted string".into()));
                    };
                    i += 1;
                    match c {
                        '"' => break,
                        '\n' => return Err(Failure::Exec("unterminated quoted string".into())),
                        '\\' => {
                            let Some(&e) = chars.get(i) else {
                                return Err(Failure::Exec("unterminated quoted string".into()));
                            };
                            i += 1;
                            match e {
                                'n' => s.push('\n'),
                                't' => s.push('\t'),
                                'r' => s.push('\r'),
                                '\\' => s.push('\\'),
                                '"' => s.push('"'),
                                '\'' => s.push('\''),
                                'a' => s.push('\u{7}'),
                                'b' => s.push('\u{8}'),
                                'f' => s.push('\u{c}'),
                                'v' => s.push('\u{b}'),
                                'x' | 'u' | 'U' => {
                                    let n = match e {
                                        'x' => 2,
                                        'u' => 4,
                                        _ => 8,
                                    };
                                    let hex: String = chars.iter().skip(i).take(n).collect();
                                    let ch = u32::from_str_radix(&hex, 16)
                                        .ok()
                                        .filter(|_| hex.len() == n)
                                        .and_then(char::from_u32)
                                        .ok_or_else(|| {
                                            Failure::Exec(format!("invalid escape \\{e}{hex}"))
                                        })?;
                                    s.push(ch);
                                    i += n;
                                }
                                other => {
                                    return Err(Failure::Exec(format!(
                                        "unknown escape sequence \\{other}"
                                    )));
                                }
                            }
                        }
                        c => s.push(c),
                    }
                }
                toks.push(Tok::Str(s));
            }
            '`' => {
                let start = i + 1;
                let Some(end) = chars[start..].iter().position(|c| *c == '`') else {
                    return Err(Failure::Exec("unterminated raw quoted string".into()));
                };
                toks.push(Tok::Str(chars[start..start + end].iter().collect()));
                i = start + end + 1;
            }
            c if c.is_ascii_digit()
                || ((c == '-' || c == '+')
                    && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                let start = i;
                i += 1;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '.' || chars[i] == '_')
                {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                match text.parse::<i64>() {
                    Ok(n) => toks.push(Tok::Int(n)),
                    Err(_) => return unsupported(format!("the number literal {text}")),
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && is_ident_char(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                match word.as_str() {
                    "true" => toks.push(Tok::Bool(true)),
                    "false" => toks.push(Tok::Bool(false)),
                    "if" | "else" | "end" | "range" | "with" | "define" | "template" | "block"
                    | "break" | "continue" | "nil" => {
                        return unsupported(format!("the keyword `{word}`"));
                    }
                    _ => toks.push(Tok::Ident(word)),
                }
            }
            '\'' => return unsupported("character constants".into()),
            other => return Err(Failure::Exec(format!("unexpected {other:?} in command"))),
        }
    }
    Ok(toks)
}

// ---------- parser ----------

#[derive(Debug, Clone)]
enum Operand {
    Lit(Val),
    Field(Vec<String>),
    Var(String, Vec<String>),
    Func(String),
    Sub(Box<Pipeline>, Vec<String>),
}

#[derive(Debug, Clone)]
struct Pipeline {
    decl: Option<(String, bool)>,
    cmds: Vec<Vec<Operand>>,
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn pipeline(&mut self, depth: usize) -> Result<Pipeline, Failure> {
        if depth > MAX_DEPTH {
            return Err(Failure::Unsupported(format!(
                "nesting deeper than {MAX_DEPTH}"
            )));
        }
        let mut decl = None;
        if let (Some(Tok::Var(name, chain)), Some(t @ (Tok::Decl | Tok::Assign))) =
            (self.toks.get(self.pos), self.toks.get(self.pos + 1))
            && chain.is_empty()
        {
            decl = Some((name.clone(), *t == Tok::Decl));
            self.pos += 2;
        }
        let mut cmds = Vec::new();
        let mut cmd = Vec::new();
        loop {
            match self.toks.get(self.pos).cloned() {
                None | Some(Tok::RParen(_)) => break,
                Some(Tok::Pipe) => {
                    self.pos += 1;
                    if cmd.is_empty() {
                        return Err(Failure::Exec("missing command before |".into()));
                    }
                    cmds.push(std::mem::take(&mut cmd));
                }
                Some(Tok::LParen) => {
                    self.pos += 1;
                    let inner = self.pipeline(depth + 1)?;
                    match self.toks.get(self.pos).cloned() {
                        Some(Tok::RParen(chain)) => {
                            self.pos += 1;
                            cmd.push(Operand::Sub(Box::new(inner), chain));
                        }
                        _ => return Err(Failure::Exec("unclosed left paren".into())),
                    }
                }
                Some(t) => {
                    self.pos += 1;
                    cmd.push(match t {
                        Tok::Ident(n) => Operand::Func(n),
                        Tok::Field(c) => Operand::Field(c),
                        Tok::Var(n, c) => Operand::Var(n, c),
                        Tok::Str(s) => Operand::Lit(Val::Str(s)),
                        Tok::Int(i) => Operand::Lit(Val::Int(i)),
                        Tok::Bool(b) => Operand::Lit(Val::Bool(b)),
                        Tok::Decl | Tok::Assign => {
                            return Err(Failure::Exec("unexpected := in operand".into()));
                        }
                        Tok::LParen | Tok::RParen(_) | Tok::Pipe => {
                            return Err(Failure::Exec("unexpected token".into()));
                        }
                    });
                }
            }
        }
        if cmd.is_empty() {
            return Err(Failure::Exec("missing value for command".into()));
        }
        cmds.push(cmd);
        Ok(Pipeline { decl, cmds })
    }
}

enum Node {
    Text(String),
    Action(Pipeline),
}

fn parse_template(src: &str) -> Result<Vec<Node>, Failure> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut rest = src;
    let mut trim_next = false;
    while let Some(start) = rest.find("{{") {
        let mut text = &rest[..start];
        if trim_next {
            text = text.trim_start();
        }
        let after = &rest[start + 2..];
        let trim_left = after.starts_with("- ")
            || after.starts_with("-\t")
            || after.starts_with("-\n")
            || after.starts_with("-\r");
        if trim_left {
            text = text.trim_end();
        }
        if !text.is_empty() {
            nodes.push(Node::Text(text.to_string()));
        }
        let body_start = if trim_left { 2 } else { 0 };
        let inner = &after[body_start..];
        // Find the closing delimiter outside string literals.
        let (end, trim_right) = find_close(inner)?;
        let body = &inner[..end];
        let body = if trim_right {
            &body[..body.len().saturating_sub(1)]
        } else {
            body
        };
        let trimmed = body.trim();
        if trimmed.starts_with("/*") {
            if !trimmed.ends_with("*/") {
                return Err(Failure::Exec("unclosed comment".into()));
            }
        } else {
            let toks = lex_action(body)?;
            if toks.is_empty() {
                return Err(Failure::Exec("missing value for command".into()));
            }
            let mut p = Parser { toks, pos: 0 };
            let pipe = p.pipeline(0)?;
            if p.pos != p.toks.len() {
                return Err(Failure::Exec("unexpected right paren".into()));
            }
            nodes.push(Node::Action(pipe));
        }
        rest = &inner[end + 2..];
        trim_next = trim_right;
    }
    let text = if trim_next { rest.trim_start() } else { rest };
    if !text.is_empty() {
        nodes.push(Node::Text(text.to_string()));
    }
    Ok(nodes)
}

/// Byte offset of `}}` (or of ` -}}`'s `-`... returned as the offset of `}}` with a flag) in
/// an action body, skipping string literals.
fn find_close(s: &str) -> Result<(usize, bool), Failure> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'`' => {
                i += 1;
                while i < b.len() && b[i] != b'`' {
                    i += 1;
                }
            }
            b'}' if b.get(i + 1) == Some(&b'}') => {
                let trim =
                    i >= 2 && b[i - 1] == b'-' && matches!(b[i - 2], b' ' | b'\t' | b'\n' | b'\r');
                return Ok((i, trim));
            }
            _ => {}
        }
        i += 1;
    }
    Err(Failure::Exec("unclosed action".into()))
}

// ---------- evaluation ----------

struct Exec<'e, 'a> {
    env: &'e Env<'a>,
    vars: BTreeMap<String, Val>,
}

fn field(v: &Val, name: &str) -> Result<Val, Failure> {
    match v {
        Val::Struct(ty, complete, fields) => match fields.iter().find(|(n, _)| *n == name) {
            Some((_, f)) => Ok(f.clone()),
            None if *complete => Err(Failure::Exec(format!(
                "can't evaluate field {name} in type {ty}"
            ))),
            None => Err(Failure::Unsupported(format!(
                "the field {name} of {ty} (guestnet models only some of its fields)"
            ))),
        },
        Val::Map(m) => Ok(m
            .get(name)
            .map(|s| Val::Str(s.clone()))
            .unwrap_or(Val::NoValue)),
        other => Err(Failure::Exec(format!(
            "can't evaluate field {name} in type {}",
            other.type_name()
        ))),
    }
}

fn chain(mut v: Val, names: &[String]) -> Result<Val, Failure> {
    for n in names {
        v = field(&v, n)?;
    }
    Ok(v)
}

fn index_val(item: &Val, idx: &Val) -> Result<Val, Failure> {
    let i = |len: usize| -> Result<usize, Failure> {
        match idx {
            Val::Int(n) if *n >= 0 && (*n as u64) < len as u64 => {
                usize::try_from(*n).map_err(|_| {
                    Failure::Exec(format!("error calling index: index out of range: {n}"))
                })
            }
            Val::Int(n) => Err(Failure::Exec(format!(
                "error calling index: index out of range: {n}"
            ))),
            other => Err(Failure::Exec(format!(
                "error calling index: cannot index slice/array with type {}",
                other.type_name()
            ))),
        }
    };
    match item {
        Val::Strs(v) => Ok(Val::Str(v.get(i(v.len())?).cloned().unwrap_or_default())),
        Val::List(v) => Ok(v.get(i(v.len())?).cloned().unwrap_or(Val::NoValue)),
        Val::Str(s) => {
            let b = s.as_bytes();
            Ok(Val::Int(i64::from(
                b.get(i(b.len())?).copied().unwrap_or(0),
            )))
        }
        Val::Map(m) => match idx {
            Val::Str(k) => Ok(Val::Str(m.get(k).cloned().unwrap_or_default())),
            other => Err(Failure::Exec(format!(
                "error calling index: value has type {}; should be string",
                other.type_name()
            ))),
        },
        other => Err(Failure::Exec(format!(
            "error calling index: can't index item of type {}",
            other.type_name()
        ))),
    }
}

fn basic_eq(a: &Val, b: &Val) -> Result<bool, Failure> {
    match (a, b) {
        (Val::Str(x), Val::Str(y)) => Ok(x == y),
        (Val::Int(x), Val::Int(y)) => Ok(x == y),
        (Val::Bool(x), Val::Bool(y)) => Ok(x == y),
        _ => Err(Failure::Exec(
            "error calling eq: incompatible types for comparison".into(),
        )),
    }
}

impl Exec<'_, '_> {
    fn operand(&mut self, op: &Operand, depth: usize) -> Result<Val, Failure> {
        match op {
            Operand::Lit(v) => Ok(v.clone()),
            Operand::Field(c) => chain(self.env.data.clone(), c),
            Operand::Var(name, c) => {
                let base = if name.is_empty() {
                    self.env.data.clone()
                } else {
                    self.vars
                        .get(name)
                        .cloned()
                        .ok_or_else(|| Failure::Exec(format!("undefined variable: ${name}")))?
                };
                chain(base, c)
            }
            Operand::Func(name) => self.call(name, Vec::new()),
            Operand::Sub(p, c) => {
                let v = self.pipeline(p, depth + 1)?;
                chain(v, c)
            }
        }
    }

    fn call(&mut self, name: &str, args: Vec<Val>) -> Result<Val, Failure> {
        match name {
            "printf" => {
                let Some((Val::Str(fmt), rest)) = args.split_first() else {
                    return Err(Failure::Exec(
                        "wrong number of args for printf: want at least 1".into(),
                    ));
                };
                return Ok(Val::Str(sprintf(fmt, rest)?));
            }
            "print" => {
                let mut out = String::new();
                for (k, a) in args.iter().enumerate() {
                    let both_non_str = k > 0
                        && !matches!(a, Val::Str(_))
                        && !matches!(args.get(k - 1), Some(Val::Str(_)));
                    if both_non_str {
                        out.push(' ');
                    }
                    out.push_str(&a.print()?);
                }
                return Ok(Val::Str(out));
            }
            "index" => {
                let Some((item, idxs)) = args.split_first() else {
                    return Err(Failure::Exec(
                        "wrong number of args for index: want at least 1 got 0".into(),
                    ));
                };
                let mut v = item.clone();
                for i in idxs {
                    v = index_val(&v, i)?;
                }
                return Ok(v);
            }
            "len" => {
                let [a] = args.as_slice() else {
                    return Err(Failure::Exec(format!(
                        "wrong number of args for len: want 1 got {}",
                        args.len()
                    )));
                };
                let n = match a {
                    Val::Str(s) => s.len(),
                    Val::Strs(v) => v.len(),
                    Val::List(v) => v.len(),
                    Val::Map(m) => m.len(),
                    other => {
                        return Err(Failure::Exec(format!(
                            "error calling len: len of type {}",
                            other.type_name()
                        )));
                    }
                };
                return Ok(Val::Int(i64::try_from(n).unwrap_or(i64::MAX)));
            }
            "not" => {
                let [a] = args.as_slice() else {
                    return Err(Failure::Exec(format!(
                        "wrong number of args for not: want 1 got {}",
                        args.len()
                    )));
                };
                return Ok(Val::Bool(!a.truthy()));
            }
            "and" | "or" => {
                if args.is_empty() {
                    return Err(Failure::Exec(format!(
                        "wrong number of args for {name}: want at least 1 got 0"
                    )));
                }
                let want = name == "or";
                let pick = args
                    .iter()
                    .find(|a| a.truthy() == want)
                    .or(args.last())
                    .cloned()
                    .unwrap_or(Val::NoValue);
                return Ok(pick);
            }
            "eq" | "ne" => {
                let Some((a, rest)) = args.split_first() else {
                    return Err(Failure::Exec(format!(
                        "wrong number of args for {name}: want 2 got 0"
                    )));
                };
                if rest.is_empty() || (name == "ne" && rest.len() != 1) {
                    return Err(Failure::Exec(format!("wrong number of args for {name}")));
                }
                let mut any = false;
                for b in rest {
                    any |= basic_eq(a, b)?;
                }
                return Ok(Val::Bool(if name == "eq" { any } else { !any }));
            }
            "html" | "js" | "urlquery" | "slice" | "call" | "println" | "lt" | "le" | "gt"
            | "ge" => {
                return Err(Failure::Unsupported(format!("the builtin {name}")));
            }
            _ => {}
        }
        let Some((params, f)) = self.env.funcs.get(name) else {
            return Err(Failure::Exec(format!("function \"{name}\" not defined")));
        };
        if params.len() != args.len() {
            return Err(Failure::Exec(format!(
                "wrong number of args for {name}: want {} got {}",
                params.len(),
                args.len()
            )));
        }
        for (k, (p, a)) in params.iter().zip(&args).enumerate() {
            let ok = matches!(
                (p, a),
                (Param::Int, Val::Int(_)) | (Param::Str, Val::Str(_))
            );
            if !ok {
                let want = match p {
                    Param::Int => "int",
                    Param::Str => "string",
                };
                return Err(Failure::Exec(format!(
                    "wrong type for value; expected {want}; got {} (argument {} of {name})",
                    a.type_name(),
                    k + 1
                )));
            }
        }
        f(&args).map_err(|e| Failure::Exec(format!("error calling {name}: {e}")))
    }

    fn command(
        &mut self,
        cmd: &[Operand],
        piped: Option<Val>,
        depth: usize,
    ) -> Result<Val, Failure> {
        let Some((first, rest)) = cmd.split_first() else {
            return Err(Failure::Exec("empty command".into()));
        };
        if let Operand::Func(name) = first {
            let mut args = Vec::with_capacity(rest.len() + 1);
            for a in rest {
                args.push(self.operand(a, depth)?);
            }
            if let Some(p) = piped {
                args.push(p);
            }
            return self.call(name, args);
        }
        if !rest.is_empty() || piped.is_some() {
            return Err(Failure::Exec("can't give argument to non-function".into()));
        }
        self.operand(first, depth)
    }

    fn pipeline(&mut self, p: &Pipeline, depth: usize) -> Result<Val, Failure> {
        if depth > MAX_DEPTH {
            return Err(Failure::Unsupported(format!(
                "nesting deeper than {MAX_DEPTH}"
            )));
        }
        let mut v: Option<Val> = None;
        for cmd in &p.cmds {
            v = Some(self.command(cmd, v.take(), depth)?);
        }
        let v = v.unwrap_or(Val::NoValue);
        if let Some((name, is_decl)) = &p.decl {
            if !is_decl && !self.vars.contains_key(name) {
                return Err(Failure::Exec(format!("undefined variable: ${name}")));
            }
            self.vars.insert(name.clone(), v.clone());
        }
        Ok(v)
    }
}

/// Go's `fmt.Sprintf` for the verbs templates use: `%s %d %v %q %x %X %%` with flags and width.
fn sprintf(fmt: &str, args: &[Val]) -> Result<String, Failure> {
    let mut out = String::new();
    let chars: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    let mut argi = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        let mut minus = false;
        let mut zero = false;
        let mut plus = false;
        while let Some(&f) = chars.get(i) {
            match f {
                '-' => minus = true,
                '0' => zero = true,
                '+' => plus = true,
                ' ' | '#' => {
                    return Err(Failure::Unsupported(format!("the printf flag {f:?}")));
                }
                _ => break,
            }
            i += 1;
        }
        let mut width = 0usize;
        while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
            width = width.saturating_mul(10).saturating_add(d as usize);
            i += 1;
        }
        if width > MAX_WIDTH {
            return Err(Failure::Unsupported(format!(
                "a printf width above {MAX_WIDTH}"
            )));
        }
        if chars.get(i) == Some(&'.') || chars.get(i) == Some(&'*') {
            return Err(Failure::Unsupported("printf precision or * width".into()));
        }
        let Some(&verb) = chars.get(i) else {
            out.push_str("%!(NOVERB)");
            break;
        };
        i += 1;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(argi) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        argi += 1;
        let body = match (verb, arg) {
            ('s' | 'v', Val::Str(s)) => s.clone(),
            ('d' | 'v', Val::Int(n)) => {
                if plus && *n >= 0 {
                    format!("+{n}")
                } else {
                    n.to_string()
                }
            }
            ('x', Val::Int(n)) => format!("{n:x}"),
            ('X', Val::Int(n)) => format!("{n:X}"),
            ('x', Val::Str(s)) => s.bytes().map(|b| format!("{b:02x}")).collect(),
            ('X', Val::Str(s)) => s.bytes().map(|b| format!("{b:02X}")).collect(),
            ('t' | 'v', Val::Bool(b)) => b.to_string(),
            ('v' | 's', Val::Strs(v)) => format!("[{}]", v.join(" ")),
            ('q', Val::Str(s)) => crate::diagnostic::go_quote(s),
            ('s' | 'v' | 'd' | 'q' | 'x' | 'X' | 't', other) => {
                format!("%!{verb}({}={})", other.type_name(), other.print()?)
            }
            (v, _) => {
                return Err(Failure::Unsupported(format!("the printf verb %{v}")));
            }
        };
        let pad = width.saturating_sub(body.chars().count());
        if minus {
            out.push_str(&body);
            out.extend(std::iter::repeat_n(' ', pad));
        } else if zero && matches!(arg, Val::Int(_)) {
            let (sign, digits) = match body.strip_prefix('-') {
                Some(d) => ("-", d.to_string()),
                None => ("", body.clone()),
            };
            out.push_str(sign);
            out.extend(std::iter::repeat_n('0', pad));
            out.push_str(&digits);
        } else {
            out.extend(std::iter::repeat_n(' ', pad));
            out.push_str(&body);
        }
    }
    if argi < args.len() {
        let extra: Vec<String> = args[argi..]
            .iter()
            .map(|a| Ok(format!("{}={}", a.type_name(), a.print()?)))
            .collect::<Result<_, Failure>>()?;
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    Ok(out)
}

/// Renders `src` with `env`.
pub fn execute(src: &str, env: &Env<'_>) -> Result<String, Failure> {
    let nodes = parse_template(src)?;
    let mut ex = Exec {
        env,
        vars: BTreeMap::new(),
    };
    let mut out = String::new();
    for n in &nodes {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Action(p) => {
                let v = ex.pipeline(p, 0)?;
                if p.decl.is_none() {
                    out.push_str(&v.print()?);
                }
            }
        }
        if out.len() > MAX_OUTPUT {
            return Err(Failure::Unsupported("output larger than 1 MiB".into()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env<'static> {
        let mut funcs: BTreeMap<&'static str, (Vec<Param>, Func<'static>)> = BTreeMap::new();
        funcs.insert("Two", (vec![], Box::new(|_: &[Val]| Ok(Val::Int(2)))));
        funcs.insert(
            "Up",
            (
                vec![Param::Str],
                Box::new(|a: &[Val]| match a {
                    [Val::Str(s)] => Ok(Val::Str(s.to_uppercase())),
                    _ => Err("bad".into()),
                }),
            ),
        );
        funcs.insert("Fail", (vec![], Box::new(|_: &[Val]| Err("boom".into()))));
        let dev = Val::Struct("Dev", true, vec![("Gateway4", Val::Str("10.0.0.1".into()))]);
        Env {
            data: Val::Struct(
                "Root",
                true,
                vec![
                    ("Devices", Val::List(vec![dev])),
                    ("Names", Val::Strs(vec!["a".into(), "b".into()])),
                ],
            ),
            funcs,
        }
    }

    fn run(s: &str) -> Result<String, Failure> {
        execute(s, &env())
    }

    #[test]
    fn subset() {
        assert_eq!(run("x{{ Two }}y").unwrap(), "x2y");
        assert_eq!(
            run("{{ (index .Devices 0).Gateway4 }}").unwrap(),
            "10.0.0.1"
        );
        assert_eq!(run("{{ .Names }}").unwrap(), "[a b]");
        assert_eq!(run("{{ \"ab\" | Up }}").unwrap(), "AB");
        assert_eq!(run("{{ printf \"/%d\" Two }}").unwrap(), "/2");
        assert_eq!(
            run("{{ printf \"%03d|%-3s|%q\" 7 `x` \"y\" }}").unwrap(),
            "007|x  |\"y\""
        );
        assert_eq!(run("a  {{- Two -}}  b").unwrap(), "a2b");
        assert_eq!(run("{{/* c */}}z").unwrap(), "z");
        assert_eq!(
            run("{{ $x := Two }}{{ $x }}{{ $.Names }}").unwrap(),
            "2[a b]"
        );
        assert_eq!(run("{{ index .Names 1 }}{{ len .Names }}").unwrap(), "b2");
        assert_eq!(run("{{ eq Two 2 }} {{ not true }}").unwrap(), "true false");
        assert_eq!(run("{{ \"}}\" }}").unwrap(), "}}");
        assert_eq!(run("{{ printf \"%d\" }}").unwrap(), "%!d(MISSING)");
    }

    #[test]
    fn go_errors_and_unsupported() {
        assert!(matches!(run("{{ Nope }}"), Err(Failure::Exec(m)) if m.contains("not defined")));
        assert!(matches!(run("{{ Up 1 }}"), Err(Failure::Exec(_))));
        assert!(
            matches!(run("{{ Fail }}"), Err(Failure::Exec(m)) if m == "error calling Fail: boom")
        );
        assert!(matches!(run("{{ index .Names 5 }}"), Err(Failure::Exec(_))));
        assert!(matches!(run("{{ .Missing }}"), Err(Failure::Exec(_))));
        assert!(matches!(run("{{ Two"), Err(Failure::Exec(_))));
        assert!(matches!(run("{{ (Two }}"), Err(Failure::Exec(_))));
        assert!(matches!(
            run("{{ if true }}x{{ end }}"),
            Err(Failure::Unsupported(_))
        ));
        assert!(matches!(
            run("{{ printf \"%1000000d\" 1 }}"),
            Err(Failure::Unsupported(_))
        ));
        assert!(matches!(
            run("{{ .Devices }}"),
            Err(Failure::Unsupported(_))
        ));
        let deep = format!("{}Two{}", "(".repeat(100), ")".repeat(100));
        assert!(matches!(
            run(&format!("{{{{ {deep} }}}}")),
            Err(Failure::Unsupported(_))
        ));
    }
}
