//! One serializable diagnostic type shared by every front end.
//!
//! The CLI renders it with a source snippet, the browser turns it into an editor marker, CI
//! turns it into SARIF or workflow annotations. Codes are stable: scripts and suppressions may
//! key on them, so a code is never reused for a different rule.

use serde::Serialize;
use std::fmt;

/// How bad a finding is. `Error` makes `validate` exit 1; `Warning` only with `--strict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        })
    }
}

macro_rules! codes {
    (@alt) => { None };
    (@alt $alt:ident $when:literal) => { Some((Severity::$alt, $when)) };
    ($( $variant:ident = $code:literal, $sev:ident $(/ $alt:ident $when:literal)?, $title:literal; )*) => {
        /// Stable diagnostic codes. `GN0xx` input, `GN1xx` vm-operator parity,
        /// `GN2xx` checks vm-operator lacks, `GN3xx` lossy translation, `GN4xx` informational.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( $variant, )* }

        impl Code {
            /// Every code, for documentation and SARIF rule tables.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            /// The severity this rule reports unless its documented condition applies.
            pub fn default_severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }

            /// The one other severity a rule may report, and when. This table is the single
            /// source of truth: a finding whose severity is neither is a bug (a test checks
            /// every finding of the golden corpus against it).
            pub fn alternate_severity(self) -> Option<(Severity, &'static str)> {
                match self { $( Code::$variant => codes!(@alt $( $alt $when )?), )* }
            }

            /// One-line description of the rule.
            pub fn title(self) -> &'static str {
                match self { $( Code::$variant => $title, )* }
            }
        }
    };
}

impl Code {
    /// Whether a finding of this code may have severity `s`.
    pub fn allows(self, s: Severity) -> bool {
        s == self.default_severity() || self.alternate_severity().is_some_and(|(a, _)| a == s)
    }

    /// `warning`, or `warning (error with --provider)`: how `guestnet rules` documents it.
    pub fn severity_doc(self) -> String {
        match self.alternate_severity() {
            None => self.default_severity().to_string(),
            Some((alt, when)) => format!("{} ({alt} {when})", self.default_severity()),
        }
    }
}

codes! {
    YamlSyntax = "GN001", Error, "the document is not well-formed YAML or JSON";
    LimitExceeded = "GN002", Error, "the input exceeds a size, depth, node or alias limit";
    UnknownField = "GN003", Error, "a field the API does not have";
    WrongType = "GN004", Error, "a value of the wrong type";
    UnsupportedKind = "GN005", Error, "apiVersion/kind is not a kind guestnet reads";
    MissingField = "GN006", Error, "a required field is missing";
    Yaml11Boolean = "GN007", Warning / Error "where YAML 1.2 readers (editors, JSON Schema) see a string in a boolean or number field", "a plain scalar YAML 1.1 readers (kubectl, PyYAML) and YAML 1.2 readers read differently (yes/on, 01500, 0b1, 1_000, base-60)";
    DuplicateKey = "GN008", Error, "a mapping key appears twice";
    CrdSchema = "GN009", Error, "the document violates the CRD's openAPIV3Schema (--crd)";
    ObjectName = "GN010", Error, "metadata.name or namespace is not a name the Kubernetes API server accepts";
    SecretReference = "GN011", Error, "a Secret reference whose name or key no Kubernetes Secret can have";
    Unreadable = "GN012", Error, "the input cannot be read (permissions, I/O error)";
    TooManyInterfaces = "GN101", Error, "more than 10 network interfaces";
    InterfaceName = "GN102", Error, "interface name invalid or duplicated";
    InterfaceResourceName = "GN103", Error, "resulting NetworkInterface name is not a DNS-1123 subdomain";
    InvalidCidr = "GN104", Error, "address is not a CIDR";
    Gateway4 = "GN105", Error, "gateway4 invalid or without an IPv4 address";
    Gateway6 = "GN106", Error, "gateway6 invalid or without an IPv6 address";
    DhcpWithStatic = "GN107", Error, "DHCP together with static addresses of the same family";
    DhcpWithGateway = "GN108", Error, "DHCP together with a gateway of the same family";
    InvalidNameserver = "GN110", Error, "nameserver is not an IP address";
    RouteTo = "GN111", Error, "route destination is not `default` or a CIDR";
    RouteVia = "GN112", Error, "route next hop is not an IP address";
    RouteFamily = "GN113", Error, "route mixes IP address families";
    RouteMetric = "GN114", Error, "route metric below 1";
    GuestDeviceName = "GN115", Error, "guestDeviceName does not match ^\\w\\w+$";
    MacAddress = "GN116", Error, "macAddr is not a MAC address";
    ProviderFeature = "GN117", Error, "field not supported by the bootstrap provider";
    GlobalDns = "GN118", Error, "global nameservers/searchDomains not usable with the bootstrap provider";
    HostName = "GN120", Error, "host name is not RFC 1123";
    HostNameIp = "GN121", Error, "host name is an IP address while a domain name is set";
    WindowsHostName = "GN122", Error, "host name longer than 15 bytes on Windows";
    DomainName = "GN123", Error, "domain name is not RFC 1123";
    FqdnLength = "GN124", Error, "host name and domain name exceed 255 characters";
    BootstrapCombination = "GN130", Error, "bootstrap providers that cannot be combined";
    CloudInit = "GN131", Error, "CloudInit bootstrap rule";
    Sysprep = "GN132", Error, "Sysprep bootstrap rule";
    VAppConfig = "GN133", Error, "vAppConfig bootstrap rule";
    LinuxPrep = "GN134", Error, "LinuxPrep bootstrap rule";
    Vlan = "GN140", Error, "VLAN rule";
    Vmxnet3 = "GN141", Error, "NIC type / vmxnet3 / advancedProperties rule";
    NetworkProvider = "GN142", Warning / Error "with --provider", "rule that depends on the cluster's network provider";
    IpamModes = "GN143", Error, "ipamModes / vnumaNodeID rule";
    MacAddrNetwork = "GN144", Error, "macAddr on a network whose API group is not VPC's (crd.nsx.vmware.com)";
    FeatureGate = "GN145", Error, "field needs a vm-operator feature gate that is disabled (--feature-gates)";
    NetworkApiVersion = "GN146", Error, "network.apiVersion is not a Kubernetes group/version";
    ExtraConfig = "GN147", Error, "spec.advanced.extraConfig key vm-operator manages (guestinfo.*, ethernetN.*, reserved keys)";
    VAppTemplate = "GN160", Warning, "vApp property template fails in vm-operator, which then uses the raw text";
    VAppTemplateUnsupported = "GN161", Warning, "vApp property template construct guestnet cannot evaluate offline";
    UpdateForbidden = "GN190", Error, "a change vm-operator rejects when the VirtualMachine already exists (--against)";
    GatewayOutsideSubnet = "GN201", Error, "gateway is not inside any subnet of the interface";
    NonCanonicalCidr = "GN202", Warning, "CIDR has host bits set";
    MtuRange = "GN203", Error, "MTU outside what the guest and vSphere accept";
    TooManyNameservers = "GN204", Warning, "more nameservers than the Linux resolver uses (3)";
    Duplicate = "GN205", Error, "duplicate address, MAC or guest device name within the VM";
    DuplicateInBatch = "GN206", Error, "duplicate address or MAC across the batch";
    MacRange = "GN207", Warning, "MAC outside VMware's manual range";
    WindowsComputerName = "GN208", Error, "Windows computer name contains characters NetBIOS forbids";
    OutsideNetwork = "GN209", Error, "address outside the subnets of its network";
    SearchDomain = "GN210", Error, "search domain is not a DNS name";
    UnreachableVia = "GN211", Warning, "route next hop is not inside any subnet of the interface";
    UnusableAddress = "GN212", Error, "address that cannot be assigned to an interface";
    MultipleDefaultRoutes = "GN213", Warning, "more than one default route per IP family";
    NoAddressing = "GN214", Info, "interface without DHCP or static addresses";
    GatewayIsAddress = "GN215", Error, "gateway equals the interface's own address";
    UnknownNetwork = "GN216", Warning, "interface refers to a network the catalog does not describe";
    InterfaceNameLength = "GN217", Error, "guest interface name longer than 15 bytes (Linux IFNAMSIZ)";
    MulticastMac = "GN218", Error, "MAC address is a multicast (group) address";
    DuplicateHostNameInBatch = "GN219", Warning, "duplicate host name across the batch";
    SubnetPrefixMismatch = "GN220", Warning, "address prefix length differs from its catalog subnet";
    XmlInput = "GN221", Error, "XML input is not well-formed or not a vim25 CustomizationSpec";
    ConsumerDisagreement = "GN222", Warning, "input the artifact's consumers (cloud-init, VMware's engine) read differently";
    VmxKeyCase = "GN224", Error, "advancedProperties key ESXi reads as a reserved or first-class VMX key (VMX keys ignore case)";
    UnsafeValue = "GN230", Error, "value contains characters a guest artifact format cannot carry";
    TimeZone = "GN231", Error, "time zone is not a tz database name";
    VAppPropertyKey = "GN232", Error, "vApp property key cannot be an OVF property id";
    NicIdentity = "GN233", Warning, "NIC identity: how artifacts find the guest's network devices";
    JinjaText = "GN234", Warning, "cloudConfig text that cloud-init's Jinja renderer evaluates in the guest";
    JinjaSyntax = "GN235", Error, "cloudConfig text with a Jinja delimiter that is never closed: cloud-init cannot render the user-data";
    Allocation = "GN236", Error, "address allocation from the network catalog: invalid range or no free address";
    LossyTranslation = "GN301", Warning, "the target cannot express this value";
    EquivalentForm = "GN302", Info, "a value is written in an equivalent form that every consumer accepts";
    ApiVersionDropped = "GN310", Warning, "the requested vSphere API version has no element for this value";
    GoscLimit = "GN311", Error, "a value exceeds what a vim25 CustomizationSpec can carry";
    ApiVersionTooOld = "GN312", Error, "the requested vSphere API version cannot carry this CustomizationSpec at all";
    TargetNotRendered = "GN313", Warning, "--target all: a target that cannot be rendered for this VM is left out";
    CustCfgPrimary = "GN320", Warning, "cust.cfg gives the default route to the PRIMARY NIC only";
    CustCfgNeedsMac = "GN321", Error / Warning "when the VM's bootstrap does not read cust.cfg, a preview", "cust.cfg needs every NIC's MAC address";
    CustCfgNoNics = "GN322", Error / Warning "when the VM's bootstrap does not read cust.cfg, a preview", "cust.cfg cannot describe a VM without network interfaces";
    CustCfgPrimaryConflict = "GN323", Error, "more than one cust.cfg NIC is PRIMARY";
    ConversionDropped = "GN330", Warning, "vm-operator's conversion between API versions drops this field";
    ConversionRewritten = "GN331", Info, "vm-operator's conversion between API versions rewrites this field into another form";
    ConversionRestored = "GN332", Info, "vm-operator restores fields from the VM's vmoperator.vmware.com/conversion annotation";
    TargetUnused = "GN401", Info, "the VM's bootstrap provider does not read this artifact";
    CustomizationSkipped = "GN402", Info, "vm-operator sends no CustomizationSpec (customizeAtNextPowerOn: false)";
    Placeholder = "GN403", Info, "a value known only in the cluster or at submit time (Secret, guest credentials, port group): placeholder or left out";
    NicMatchNote = "GN404", Info, "no MAC is known: the artifact identifies the NIC by name or PCI order";
    ConsumerNote = "GN405", Info, "how the artifact or its consumer represents a value (informational)";
    NotConverted = "GN406", Info, "convert: a value of the input the VirtualMachine does not carry";
    Skipped = "GN407", Info, "document skipped: not a kind guestnet reads (an error with --strict-kinds)";
    SkippedInput = "GN410", Info, "a path is not read: not a regular file, or a link a walk does not follow";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A position in the source: 1-based line and column (columns count characters, as editors
/// do) plus the byte range for snippet rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub start: usize,
    pub end: usize,
}

/// A finding about one input document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The file the document came from (`-` for stdin); filled in by the front end.
    pub file: Option<String>,
    pub code: Code,
    pub severity: Severity,
    /// Field path in Kubernetes notation, e.g. `spec.network.interfaces[1].gateway4`.
    pub path: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    #[serde(rename = "endLine")]
    pub end_line: Option<u32>,
    #[serde(rename = "endColumn")]
    pub end_column: Option<u32>,
    /// The message; for vm-operator rules this is the webhook's own text after the path.
    pub message: String,
    pub help: Option<String>,
    /// Byte range in the source, for snippet rendering; not part of the JSON contract.
    #[serde(skip)]
    pub byte_range: Option<(usize, usize)>,
    /// Where to place the finding in the source when `path` is the webhook's, which can be
    /// less precise (`spec.bootstrap.vAppConfig.properties.key` names no list index).
    #[serde(skip)]
    pub at: Option<String>,
    /// Other places this finding is about (the other definitions of a duplicate), for SARIF
    /// `relatedLocations`; present in JSON only when not empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    /// Index of the document in its file (0-based), when the front end knows it; lets
    /// reports group and cap findings per document. Not part of the JSON contract.
    #[serde(skip)]
    pub document: Option<u32>,
}

/// Another location a finding refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Related {
    pub file: Option<String>,
    pub path: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    #[serde(rename = "endLine")]
    pub end_line: Option<u32>,
    #[serde(rename = "endColumn")]
    pub end_column: Option<u32>,
    pub message: String,
}

impl Diagnostic {
    pub fn new(code: Code, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            file: None,
            code,
            severity: code.default_severity(),
            path: path.into(),
            line: None,
            column: None,
            end_line: None,
            end_column: None,
            message: message.into(),
            help: None,
            byte_range: None,
            at: None,
            related: Vec::new(),
            document: None,
        }
    }

    /// vm-operator's `field.Invalid` text: `Invalid value: "<v>": <detail>`.
    pub fn invalid(code: Code, path: impl Into<String>, value: &str, detail: &str) -> Self {
        Self::new(
            code,
            path,
            format!("Invalid value: {}: {detail}", go_quote(value)),
        )
    }

    /// vm-operator's `field.Invalid` text for an integer value (Go prints it unquoted).
    pub fn invalid_int(code: Code, path: impl Into<String>, value: i64, detail: &str) -> Self {
        Self::new(code, path, format!("Invalid value: {value}: {detail}"))
    }

    /// vm-operator's `field.Forbidden` text.
    pub fn forbidden(code: Code, path: impl Into<String>, detail: &str) -> Self {
        Self::new(code, path, format!("Forbidden: {detail}"))
    }

    /// vm-operator's `field.Required` text.
    pub fn required(code: Code, path: impl Into<String>, detail: &str) -> Self {
        if detail.is_empty() {
            Self::new(code, path, "Required value")
        } else {
            Self::new(code, path, format!("Required value: {detail}"))
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Places the finding at `path` in the source while keeping the webhook's own path.
    pub fn located_at(mut self, path: impl Into<String>) -> Self {
        self.at = Some(path.into());
        self
    }

    /// The field path that locates this finding in the source.
    pub fn location_path(&self) -> &str {
        self.at.as_deref().unwrap_or(&self.path)
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn with_span(mut self, span: impl Into<Span>) -> Self {
        self.set_span(span);
        self
    }

    pub fn set_span(&mut self, span: impl Into<Span>) {
        let span: Span = span.into();
        self.line = Some(span.line);
        self.column = Some(span.column);
        self.end_line = Some(span.end_line);
        self.end_column = Some(span.end_column);
        self.byte_range = Some((span.start, span.end));
    }

    pub fn has_span(&self) -> bool {
        self.line.is_some()
    }

    /// `path: message` — exactly what vm-operator's webhook prints for its own rules.
    pub fn webhook_text(&self) -> String {
        if self.path.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.path, self.message)
        }
    }
}

/// Go's `%q` for the strings we print: double quotes, backslash escapes, printable unicode kept.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let n = c as u32;
                if n < 0x80 {
                    out.push_str(&format!("\\x{n:02x}"));
                } else {
                    out.push_str(&format!("\\u{n:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Sorts diagnostics the way people read them: by position, then code.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (
            a.line.unwrap_or(u32::MAX),
            a.column.unwrap_or(0),
            a.code,
            &a.path,
        )
            .cmp(&(
                b.line.unwrap_or(u32::MAX),
                b.column.unwrap_or(0),
                b.code,
                &b.path,
            ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {c}");
            assert!(c.as_str().starts_with("GN") && c.as_str().len() == 5);
        }
    }

    #[test]
    fn invalid_matches_go_field_error_text() {
        let d = Diagnostic::invalid(
            Code::DhcpWithGateway,
            "spec.network.interfaces[0].gateway4",
            "192.168.1.1",
            "gateway4 is mutually exclusive with dhcp4",
        );
        assert_eq!(
            d.webhook_text(),
            "spec.network.interfaces[0].gateway4: Invalid value: \"192.168.1.1\": gateway4 is mutually exclusive with dhcp4"
        );
        assert_eq!(go_quote("a\"b\n"), "\"a\\\"b\\n\"");
    }
}
