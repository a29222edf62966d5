//! Reverse translators: a guest artifact -> the model, so every format can be translated into
//! every other through the same pipeline (`guestnet convert --from F`). Each format module
//! is tolerant of what real files contain and strict about what would change meaning; it
//! returns diagnostics with positions in *its* input.

pub mod custcfg;
pub mod gosc;
pub mod netplan;
pub mod vapp;
pub mod vmx;

use crate::diagnostic::Diagnostic;
use crate::model::VirtualMachine;
use crate::render::yaml_out;

/// Formats `guestnet convert --from` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Netplan,
    Custcfg,
    Vapp,
    Vmx,
    Gosc,
}

impl Format {
    pub const ALL: &'static [Format] = &[
        Format::Netplan,
        Format::Custcfg,
        Format::Vapp,
        Format::Vmx,
        Format::Gosc,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Netplan => "netplan",
            Format::Custcfg => "custcfg",
            Format::Vapp => "vapp",
            Format::Vmx => "vmx",
            Format::Gosc => "gosc",
        }
    }

    pub fn parse_name(s: &str) -> Option<Format> {
        Self::ALL.iter().copied().find(|f| f.as_str() == s)
    }
}

/// What a reverse parser produced: VirtualMachines (possibly several, e.g. a SOAP batch) and
/// findings. Errors mean the VMs must not be used.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub vms: Vec<VirtualMachine>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A diagnostic for a line-based format: the line is known, [`place_lines`] adds the byte
/// range of the whole line once the text is at hand.
pub(crate) fn at(line: u32, code: crate::diagnostic::Code, path: &str, msg: String) -> Diagnostic {
    Diagnostic::new(code, path, msg).with_span(crate::diagnostic::Span {
        line,
        column: 1,
        end_line: line,
        end_column: 1,
        start: 0,
        end: 0,
    })
}

/// Gives line-based diagnostics (those with a line but no real byte range) the byte range of
/// their whole line, so snippets point at it.
fn place_lines(text: &str, diags: &mut [Diagnostic]) {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    for d in diags.iter_mut() {
        let Some(line) = d.line else { continue };
        if !matches!(d.byte_range, None | Some((0, 0))) {
            continue;
        }
        let Some(&start) = starts.get((line as usize).saturating_sub(1)) else {
            continue;
        };
        let end = text[start..]
            .find('\n')
            .map(|i| start + i)
            .unwrap_or(text.len());
        let end = if text[..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        d.byte_range = Some((start, end.max(start)));
        d.column = Some(1);
        d.end_line = Some(line);
        d.end_column =
            Some(u32::try_from(text[start..end.max(start)].chars().count() + 1).unwrap_or(1));
    }
}

impl Parsed {
    /// Nothing usable: the one diagnostic that says why.
    pub fn failed(d: Diagnostic) -> Parsed {
        Parsed {
            vms: Vec::new(),
            diagnostics: vec![d],
        }
    }
}

/// Reads `text` as `format`. `name` is the VM name to use when the format carries none.
pub fn parse(format: Format, text: &str, name: &str) -> Parsed {
    let mut p = parse_inner(format, text, name);
    if matches!(format, Format::Custcfg | Format::Vmx) {
        place_lines(text, &mut p.diagnostics);
    }
    p
}

fn parse_inner(format: Format, text: &str, name: &str) -> Parsed {
    match format {
        Format::Netplan => netplan::parse(text, name),
        Format::Custcfg => custcfg::parse(text, name),
        Format::Vapp => vapp::parse(text, name),
        Format::Vmx => vmx::parse(text, name),
        Format::Gosc => gosc::parse(text, name),
    }
}

/// A VirtualMachine as YAML (block style, the API's field order, empty fields omitted).
pub fn to_yaml(vm: &VirtualMachine) -> String {
    let v = serde_json::to_value(vm).unwrap_or(serde_json::Value::Null);
    yaml_out::to_string(&yaml_out::from_json_ordered(&v))
}
