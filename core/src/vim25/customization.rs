//! `CustomizationSpec` and the types under it, as far as guestnet writes or reads them, with
//! the XML encoding (WSDL element order, `xsi:type` on every polymorphic field) and a
//! decoder that accepts a bare spec or one inside a SOAP body, under any namespace prefix.
//!
//! The decoder is as strict as pyVmomi about names and types (unknown elements, unknown or
//! missing `xsi:type`, malformed scalars are errors) and, unlike pyVmomi, also about missing
//! required elements. It does not care about element order, as no vim25 reader does.

use super::xml::{self, Element, NS_SOAPENV, NS_VIM25, NS_XSD, NS_XSI, XmlWriter};
use crate::diagnostic::{Code, Diagnostic};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomizationSpec {
    pub options: Option<Options>,
    pub identity: Identity,
    pub global_ip_settings: GlobalIpSettings,
    pub nic_setting_map: Vec<AdapterMapping>,
    /// Signed bytes, one element each (read only; guestnet never encrypts).
    pub encryption_key: Vec<i8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Options {
    Linux,
    Win {
        change_sid: bool,
        delete_accounts: bool,
        reboot: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    LinuxPrep(LinuxPrep),
    Sysprep(Box<Sysprep>),
    SysprepText(String),
    CloudinitPrep {
        metadata: String,
        userdata: Option<String>,
    },
}

impl Default for Identity {
    fn default() -> Self {
        Identity::LinuxPrep(LinuxPrep::default())
    }
}

impl Identity {
    pub fn type_name(&self) -> &'static str {
        match self {
            Identity::LinuxPrep(_) => "CustomizationLinuxPrep",
            Identity::Sysprep(_) => "CustomizationSysprep",
            Identity::SysprepText(_) => "CustomizationSysprepText",
            Identity::CloudinitPrep { .. } => "CustomizationCloudinitPrep",
        }
    }
}

/// `CustomizationName` subtypes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Name {
    Fixed(String),
    VirtualMachine,
    Prefix(String),
    Unknown,
    Custom(Option<String>),
}

impl Default for Name {
    fn default() -> Self {
        Name::Fixed(String::new())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Password {
    pub value: String,
    pub plain_text: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinuxPrep {
    pub host_name: Name,
    pub domain: String,
    pub time_zone: Option<String>,
    pub hw_clock_utc: Option<bool>,
    pub script_text: Option<String>,
    pub compatible_customization_method: Option<String>,
    pub reset_password: Option<bool>,
    pub password: Option<Password>,
    /// `extraConfig` OptionValues (key, string value), in order.
    pub extra_config: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GuiUnattended {
    pub password: Option<Password>,
    pub time_zone: i32,
    pub auto_logon: bool,
    pub auto_logon_count: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserData {
    pub full_name: String,
    pub org_name: String,
    pub computer_name: Name,
    pub product_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identification {
    pub join_workgroup: Option<String>,
    pub join_domain: Option<String>,
    pub domain_admin: Option<String>,
    pub domain_admin_password: Option<Password>,
    pub domain_ou: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LicenseFilePrintData {
    /// `perServer` or `perSeat`.
    pub auto_mode: String,
    pub auto_users: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sysprep {
    pub gui_unattended: GuiUnattended,
    pub user_data: UserData,
    /// `guiRunOnce.commandList` (the element is omitted when empty).
    pub gui_run_once: Vec<String>,
    pub identification: Identification,
    pub license_file_print_data: Option<LicenseFilePrintData>,
    pub script_text: Option<String>,
    pub reset_password: Option<bool>,
    pub extra_config: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GlobalIpSettings {
    pub dns_suffix_list: Vec<String>,
    pub dns_server_list: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdapterMapping {
    pub mac_address: Option<String>,
    pub adapter: IpSettings,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum IpGenerator {
    Fixed(String),
    #[default]
    Dhcp,
    Unknown,
    Custom(Option<String>),
    /// `CustomizationDisableIpV4` (API 9.1.0.0).
    DisableIpV4,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ipv6Generator {
    Fixed { address: String, prefix: i32 },
    Dhcp,
    Auto,
    Stateless,
    Unknown,
    Custom(Option<String>),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ipv6Spec {
    pub ip: Vec<Ipv6Generator>,
    pub gateway: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IpSettings {
    pub ip: IpGenerator,
    pub subnet_mask: Option<String>,
    pub gateway: Vec<String>,
    pub ip_v6_spec: Option<Ipv6Spec>,
    pub dns_server_list: Vec<String>,
    pub dns_domain: Option<String>,
    pub primary_wins: Option<String>,
    pub secondary_wins: Option<String>,
    pub net_bios: Option<String>,
    /// govmomi-only `primary` (API 9.1.0.0, not in pyVmomi); read, never written.
    pub primary: Option<bool>,
}

/// What wraps the spec on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Envelope {
    /// A bare `<CustomizationSpec>` document.
    #[default]
    Bare,
    /// `VirtualMachine.CustomizeVM_Task(spec)`; `vm` is the VM's managed object id.
    CustomizeVm { vm: String },
    /// `VirtualMachineGuestCustomizationManager.CustomizeGuest_Task(vm, auth, spec)`.
    CustomizeGuest {
        vm: String,
        username: String,
        password: String,
    },
    /// `CustomizationSpecManager.CreateCustomizationSpec(item)`.
    CreateSpec {
        name: String,
        description: String,
        kind: String,
    },
}

// ---------------------------------------------------------------------------------------
// Encoding and decoding, derived from one declaration per data object

/// Children of a decoded element, by field name.
type Fields<'e> = BTreeMap<&'static str, Vec<&'e Element>>;

/// A vim25 data object whose XML is a plain `xs:sequence` of child elements. Implemented
/// only by [`vim_object!`], so that its writer and its decoder come from one declaration.
trait VimObject: Default {
    /// Writes the child elements in WSDL order; the caller writes the element around them.
    fn write_body(&self, w: &mut XmlWriter);
    /// Reads the child elements of `el` (in any order), reporting whatever does not fit.
    fn decode(d: &mut Dec<'_>, el: &Element, path: &str) -> Self;
}

/// Declares a vim25 data object: its vim25 type name and, in WSDL `xs:sequence` order, one
/// `field: "element" => kind` entry per element. It derives both [`VimObject`] halves (the
/// writer emits the entries in this order; the decoder accepts exactly these elements).
///
/// Kinds: `string` / `opt_string`, `bool` / `opt_bool`, `int` / `opt_int` (`xsd:int`),
/// `strings` (a repeated string element), `name` (a required `CustomizationName`),
/// `object` / `opt_object` / `objects` (a nested [`VimObject`]: required, optional,
/// repeated), `object_or_empty` (a required object written as `<el/>` while it is all
/// defaults), and `(writer, Dec::decoder)` for a hand-written irregular element. A
/// `check Dec::method` runs after decoding, for values restricted to an enumeration.
macro_rules! vim_object {
    ($ty:ident = $vim:literal $(, check $check:path)? {
        $($field:ident: $el:literal => $kind:tt),* $(,)?
    }) => {
        impl VimObject for $ty {
            fn write_body(&self, w: &mut XmlWriter) {
                $(vim_write!($kind, w, $el, &self.$field);)*
            }

            fn decode(d: &mut Dec<'_>, el: &Element, path: &str) -> Self {
                let f = d.fields(el, path, $vim, &[$($el),*]);
                let v = $ty {
                    $($field: vim_decode!($kind, d, &f, $el, path, el),)*
                };
                $($check(d, &v, &f, path, el);)?
                v
            }
        }
    };
}

/// The writer half of one [`vim_object!`] entry.
macro_rules! vim_write {
    (string, $w:ident, $el:literal, $v:expr) => {
        $w.leaf($el, $v)
    };
    (opt_string, $w:ident, $el:literal, $v:expr) => {
        $w.leaf_opt($el, ($v).as_deref())
    };
    (bool, $w:ident, $el:literal, $v:expr) => {
        $w.leaf($el, bool_str(*$v))
    };
    (opt_bool, $w:ident, $el:literal, $v:expr) => {
        if let Some(b) = $v {
            $w.leaf($el, bool_str(*b));
        }
    };
    (int, $w:ident, $el:literal, $v:expr) => {
        $w.leaf($el, &($v).to_string())
    };
    (opt_int, $w:ident, $el:literal, $v:expr) => {
        if let Some(n) = $v {
            $w.leaf($el, &n.to_string());
        }
    };
    (strings, $w:ident, $el:literal, $v:expr) => {
        $w.leaves($el, $v)
    };
    (name, $w:ident, $el:literal, $v:expr) => {
        write_name($w, $el, $v)
    };
    (object, $w:ident, $el:literal, $v:expr) => {
        write_object($w, $el, $v)
    };
    (object_or_empty, $w:ident, $el:literal, $v:expr) => {
        write_object_or_empty($w, $el, $v)
    };
    (opt_object, $w:ident, $el:literal, $v:expr) => {
        if let Some(o) = $v {
            write_object($w, $el, o);
        }
    };
    (objects, $w:ident, $el:literal, $v:expr) => {
        for o in $v {
            write_object($w, $el, o);
        }
    };
    (($write:path, $dec:path), $w:ident, $el:literal, $v:expr) => {
        $write($w, $el, $v)
    };
}

/// The decoder half of one [`vim_object!`] entry.
macro_rules! vim_decode {
    (string, $d:ident, $f:expr, $el:literal, $path:ident, $parent:ident) => {
        $d.req_string($f, $el, $path, $parent)
    };
    (opt_string, $d:ident, $f:expr, $el:literal, $path:ident, $parent:ident) => {
        $d.string($f, $el, $path)
    };
    (bool, $d:ident, $f:expr, $el:literal, $path:ident, $parent:ident) => {
        $d.req_bool($f, $el, $path, $parent)
    };
    (opt_bool, $d:ident, $f:expr, $el:literal, $path:ident, $parent:ident) => {
        $d.bool_field($f, $el, $path)
    };
    (int, $d:ident, $f:expr, $el:literal, $path:ident, $parent:ident) => {
        $d.req_int($f, $el, $path, $parent)
    };
    (opt_int, $d:ident, $f:expr, $el:literal, $path:ident, $parent:ident) => {
        $d.opt_int($f, $el, $path)
    };
    (strings, $d:ident, $f:expr, $el:literal, $path:ident, $parent:ident) => {
        $d.strings($f, $el, $path)
    };
    (name, $d:ident, $f:expr, $el:literal, $path:ident, $parent:ident) => {
        $d.req_name($f, $el, $path, $parent)
    };
    (object, $d:ident, $f:expr, $el:literal, $path:ident, $parent:ident) => {
        $d.req_object($f, $el, $path, $parent)
    };
    (object_or_empty, $d:ident, $f:expr, $el:literal, $path:ident, $parent:ident) => {
        $d.req_object($f, $el, $path, $parent)
    };
    (opt_object, $d:ident, $f:expr, $el:literal, $path:ident, $parent:ident) => {
        $d.opt_object($f, $el, $path)
    };
    (objects, $d:ident, $f:expr, $el:literal, $path:ident, $parent:ident) => {
        $d.objects($f, $el, $path)
    };
    (($write:path, $dec:path), $d:ident, $f:expr, $el:literal, $path:ident, $parent:ident) => {
        $dec($d, $f, $el, $path, $parent)
    };
}

vim_object!(CustomizationSpec = "CustomizationSpec" {
    options: "options" => (write_options, Dec::options),
    identity: "identity" => (write_identity, Dec::req_identity),
    global_ip_settings: "globalIPSettings" => object_or_empty,
    nic_setting_map: "nicSettingMap" => objects,
    encryption_key: "encryptionKey" => (write_encryption_key, Dec::encryption_key),
});

vim_object!(Password = "CustomizationPassword" {
    value: "value" => string,
    plain_text: "plainText" => bool,
});

vim_object!(LinuxPrep = "CustomizationLinuxPrep" {
    host_name: "hostName" => name,
    domain: "domain" => string,
    time_zone: "timeZone" => opt_string,
    hw_clock_utc: "hwClockUTC" => opt_bool,
    script_text: "scriptText" => opt_string,
    compatible_customization_method: "compatibleCustomizationMethod" => opt_string,
    reset_password: "resetPassword" => opt_bool,
    password: "password" => opt_object,
    extra_config: "extraConfig" => (write_extra_config, Dec::extra_config),
});

vim_object!(Sysprep = "CustomizationSysprep" {
    gui_unattended: "guiUnattended" => object,
    user_data: "userData" => object,
    gui_run_once: "guiRunOnce" => (write_gui_run_once, Dec::gui_run_once),
    identification: "identification" => object,
    license_file_print_data: "licenseFilePrintData" => opt_object,
    script_text: "scriptText" => opt_string,
    reset_password: "resetPassword" => opt_bool,
    extra_config: "extraConfig" => (write_extra_config, Dec::extra_config),
});

vim_object!(GuiUnattended = "CustomizationGuiUnattended" {
    password: "password" => opt_object,
    time_zone: "timeZone" => int,
    auto_logon: "autoLogon" => bool,
    auto_logon_count: "autoLogonCount" => int,
});

vim_object!(UserData = "CustomizationUserData" {
    full_name: "fullName" => string,
    org_name: "orgName" => string,
    computer_name: "computerName" => name,
    product_id: "productId" => string,
});

vim_object!(Identification = "CustomizationIdentification" {
    join_workgroup: "joinWorkgroup" => opt_string,
    join_domain: "joinDomain" => opt_string,
    domain_admin: "domainAdmin" => opt_string,
    domain_admin_password: "domainAdminPassword" => opt_object,
    domain_ou: "domainOU" => opt_string,
});

vim_object!(LicenseFilePrintData = "CustomizationLicenseFilePrintData",
    check Dec::check_license_mode {
    auto_mode: "autoMode" => string,
    auto_users: "autoUsers" => opt_int,
});

vim_object!(GlobalIpSettings = "CustomizationGlobalIPSettings" {
    dns_suffix_list: "dnsSuffixList" => strings,
    dns_server_list: "dnsServerList" => strings,
});

vim_object!(AdapterMapping = "CustomizationAdapterMapping" {
    mac_address: "macAddress" => opt_string,
    adapter: "adapter" => object,
});

vim_object!(IpSettings = "CustomizationIPSettings", check Dec::check_net_bios {
    ip: "ip" => (write_ip, Dec::req_ip),
    subnet_mask: "subnetMask" => opt_string,
    gateway: "gateway" => strings,
    ip_v6_spec: "ipV6Spec" => opt_object,
    dns_server_list: "dnsServerList" => strings,
    dns_domain: "dnsDomain" => opt_string,
    primary_wins: "primaryWINS" => opt_string,
    secondary_wins: "secondaryWINS" => opt_string,
    net_bios: "netBIOS" => opt_string,
    primary: "primary" => opt_bool,
});

vim_object!(Ipv6Spec = "CustomizationIPSettingsIpV6AddressSpec" {
    ip: "ip" => (write_ip6s, Dec::ip6s),
    gateway: "gateway" => strings,
});

// ---------------------------------------------------------------------------------------
// Encoding: what `vim_object!` cannot declare

fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

fn write_object<T: VimObject>(w: &mut XmlWriter, el: &'static str, v: &T) {
    w.open(el, &[]);
    v.write_body(w);
    w.close();
}

fn write_object_or_empty<T: VimObject + PartialEq>(w: &mut XmlWriter, el: &'static str, v: &T) {
    if *v == T::default() {
        w.empty(el, &[]);
    } else {
        write_object(w, el, v);
    }
}

/// `CustomizationName` is polymorphic (an `xsi:type` choice), so it is written by hand.
fn write_name(w: &mut XmlWriter, el: &'static str, n: &Name) {
    match n {
        Name::Fixed(v) => {
            w.open(el, &[("xsi:type", "CustomizationFixedName")]);
            w.leaf("name", v);
            w.close();
        }
        Name::VirtualMachine => w.empty(el, &[("xsi:type", "CustomizationVirtualMachineName")]),
        Name::Prefix(b) => {
            w.open(el, &[("xsi:type", "CustomizationPrefixName")]);
            w.leaf("base", b);
            w.close();
        }
        Name::Unknown => w.empty(el, &[("xsi:type", "CustomizationUnknownName")]),
        Name::Custom(None) => w.empty(el, &[("xsi:type", "CustomizationCustomName")]),
        Name::Custom(Some(a)) => {
            w.open(el, &[("xsi:type", "CustomizationCustomName")]);
            w.leaf("argument", a);
            w.close();
        }
    }
}

/// `extraConfig` is `OptionValue[]`: each element carries its own `xsi:type`, and the
/// `anyType` value says it is a string.
fn write_extra_config(w: &mut XmlWriter, el: &'static str, entries: &[(String, String)]) {
    for (k, v) in entries {
        w.open(el, &[("xsi:type", "OptionValue")]);
        w.leaf("key", k);
        w.leaf_with("value", &[("xsi:type", "xsd:string")], v);
        w.close();
    }
}

/// `CustomizationOptions` is polymorphic (an `xsi:type` choice), so it is written by hand.
fn write_options(w: &mut XmlWriter, el: &'static str, o: &Option<Options>) {
    match o {
        Some(Options::Linux) => w.empty(el, &[("xsi:type", "CustomizationLinuxOptions")]),
        Some(Options::Win {
            change_sid,
            delete_accounts,
            reboot,
        }) => {
            w.open(el, &[("xsi:type", "CustomizationWinOptions")]);
            w.leaf("changeSID", bool_str(*change_sid));
            w.leaf("deleteAccounts", bool_str(*delete_accounts));
            w.leaf_opt("reboot", reboot.as_deref());
            w.close();
        }
        None => {}
    }
}

/// `CustomizationIdentitySettings` is polymorphic (an `xsi:type` choice), so the choice is
/// written by hand; LinuxPrep and Sysprep bodies are declared with `vim_object!`.
fn write_identity(w: &mut XmlWriter, el: &'static str, identity: &Identity) {
    w.open(el, &[("xsi:type", identity.type_name())]);
    match identity {
        Identity::LinuxPrep(l) => l.write_body(w),
        Identity::Sysprep(sp) => sp.write_body(w),
        Identity::SysprepText(v) => w.leaf("value", v),
        Identity::CloudinitPrep { metadata, userdata } => {
            w.leaf("metadata", metadata);
            w.leaf_opt("userdata", userdata.as_deref());
        }
    }
    w.close();
}

/// `guiRunOnce` is flattened to its `commandList` (the element is omitted when empty).
fn write_gui_run_once(w: &mut XmlWriter, el: &'static str, commands: &[String]) {
    if !commands.is_empty() {
        w.open(el, &[]);
        w.leaves("commandList", commands);
        w.close();
    }
}

/// `CustomizationIpGenerator` is polymorphic (an `xsi:type` choice), so it is written by hand.
fn write_ip(w: &mut XmlWriter, el: &'static str, ip: &IpGenerator) {
    match ip {
        IpGenerator::Fixed(ip) => {
            w.open(el, &[("xsi:type", "CustomizationFixedIp")]);
            w.leaf("ipAddress", ip);
            w.close();
        }
        IpGenerator::Dhcp => w.empty(el, &[("xsi:type", "CustomizationDhcpIpGenerator")]),
        IpGenerator::Unknown => w.empty(el, &[("xsi:type", "CustomizationUnknownIpGenerator")]),
        IpGenerator::Custom(None) => w.empty(el, &[("xsi:type", "CustomizationCustomIpGenerator")]),
        IpGenerator::Custom(Some(arg)) => {
            w.open(el, &[("xsi:type", "CustomizationCustomIpGenerator")]);
            w.leaf("argument", arg);
            w.close();
        }
        IpGenerator::DisableIpV4 => w.empty(el, &[("xsi:type", "CustomizationDisableIpV4")]),
    }
}

/// `CustomizationIpV6Generator[]` is polymorphic (an `xsi:type` choice per element), so it
/// is written by hand.
fn write_ip6s(w: &mut XmlWriter, el: &'static str, generators: &[Ipv6Generator]) {
    for g in generators {
        match g {
            Ipv6Generator::Fixed { address, prefix } => {
                w.open(el, &[("xsi:type", "CustomizationFixedIpV6")]);
                w.leaf("ipAddress", address);
                w.leaf("subnetMask", &prefix.to_string());
                w.close();
            }
            Ipv6Generator::Dhcp => w.empty(el, &[("xsi:type", "CustomizationDhcpIpV6Generator")]),
            Ipv6Generator::Auto => w.empty(el, &[("xsi:type", "CustomizationAutoIpV6Generator")]),
            Ipv6Generator::Stateless => {
                w.empty(el, &[("xsi:type", "CustomizationStatelessIpV6Generator")])
            }
            Ipv6Generator::Unknown => {
                w.empty(el, &[("xsi:type", "CustomizationUnknownIpV6Generator")])
            }
            Ipv6Generator::Custom(None) => {
                w.empty(el, &[("xsi:type", "CustomizationCustomIpV6Generator")])
            }
            Ipv6Generator::Custom(Some(arg)) => {
                w.open(el, &[("xsi:type", "CustomizationCustomIpV6Generator")]);
                w.leaf("argument", arg);
                w.close();
            }
        }
    }
}

/// `encryptionKey` is `xsd:byte[]`, one element per signed byte.
fn write_encryption_key(w: &mut XmlWriter, el: &'static str, key: &[i8]) {
    for b in key {
        w.leaf(el, &b.to_string());
    }
}

/// The spec as XML, bare or wrapped in a SOAP envelope. `Err` names the element whose value
/// holds a character XML 1.0 cannot carry (validation rejects those before rendering).
pub fn to_xml(spec: &CustomizationSpec, env: &Envelope) -> Result<String, xml::IllegalValue> {
    let mut w = XmlWriter::new();
    let ns: [(&'static str, &str); 3] = [
        ("xmlns", NS_VIM25),
        ("xmlns:xsd", NS_XSD),
        ("xmlns:xsi", NS_XSI),
    ];
    if *env == Envelope::Bare {
        w.open("CustomizationSpec", &ns);
        spec.write_body(&mut w);
        w.close();
        return w.finish();
    }
    w.open(
        "soapenv:Envelope",
        &[
            ("xmlns:soapenv", NS_SOAPENV),
            ("xmlns:xsd", NS_XSD),
            ("xmlns:xsi", NS_XSI),
        ],
    );
    w.open("soapenv:Body", &[]);
    match env {
        Envelope::Bare => {}
        Envelope::CustomizeVm { vm } => {
            w.open("CustomizeVM_Task", &[("xmlns", NS_VIM25)]);
            w.leaf_with("_this", &[("type", "VirtualMachine")], vm);
            w.open("spec", &[]);
            spec.write_body(&mut w);
            w.close();
            w.close();
        }
        Envelope::CustomizeGuest {
            vm,
            username,
            password,
        } => {
            w.open("CustomizeGuest_Task", &[("xmlns", NS_VIM25)]);
            w.leaf_with(
                "_this",
                &[("type", "VirtualMachineGuestCustomizationManager")],
                "GuestCustomizationManager",
            );
            w.leaf_with("vm", &[("type", "VirtualMachine")], vm);
            w.open("auth", &[("xsi:type", "NamePasswordAuthentication")]);
            w.leaf("interactiveSession", "false");
            w.leaf("username", username);
            w.leaf("password", password);
            w.close();
            w.open("spec", &[]);
            spec.write_body(&mut w);
            w.close();
            w.close();
        }
        Envelope::CreateSpec {
            name,
            description,
            kind,
        } => {
            w.open("CreateCustomizationSpec", &[("xmlns", NS_VIM25)]);
            w.leaf_with(
                "_this",
                &[("type", "CustomizationSpecManager")],
                "CustomizationSpecManager",
            );
            w.open("item", &[]);
            w.open("info", &[]);
            w.leaf("name", name);
            w.leaf("description", description);
            w.leaf("type", kind);
            w.close();
            w.open("spec", &[]);
            spec.write_body(&mut w);
            w.close();
            w.close();
            w.close();
        }
    }
    w.finish()
}

// ---------------------------------------------------------------------------------------
// Decoding

/// The SOAP method around a decoded spec, and what it said besides the spec.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnvelopeInfo {
    /// `CustomizeVM_Task`, `CustomizeGuest_Task`, `CreateCustomizationSpec`,
    /// `OverwriteCustomizationSpec`, … or empty for a bare spec.
    pub method: String,
    /// `CustomizationSpecInfo.name` / `description` / `type`.
    pub info_name: Option<String>,
    pub info_description: Option<String>,
    pub info_type: Option<String>,
}

/// Result of decoding: the spec when there were no errors, findings with positions, and the
/// byte offset of every decoded element by path (`spec.nicSettingMap[0].adapter.ip`) so that
/// callers can place their own findings.
#[derive(Debug, Clone, Default)]
pub struct Decoded {
    pub spec: Option<CustomizationSpec>,
    pub envelope: EnvelopeInfo,
    pub diagnostics: Vec<Diagnostic>,
    pub positions: BTreeMap<String, usize>,
}

struct Dec<'t> {
    text: &'t str,
    diags: Vec<Diagnostic>,
    positions: BTreeMap<String, usize>,
}

impl Dec<'_> {
    fn at(&self, mut d: Diagnostic, offset: usize) -> Diagnostic {
        let (line, column) = xml::line_col(self.text, offset);
        d.line = Some(line);
        d.column = Some(column);
        d.end_line = Some(line);
        d.end_column = Some(column);
        d.byte_range = Some((offset, offset));
        d
    }

    fn error(&mut self, code: Code, path: &str, el: &Element, msg: String) {
        let d = self.at(Diagnostic::new(code, path, msg), el.offset);
        self.diags.push(d);
    }

    fn seen(&mut self, path: &str, el: &Element) {
        self.positions.entry(path.to_string()).or_insert(el.offset);
    }

    /// Children of `el` by field name, reporting names `fields` lacks (pyVmomi rejects them).
    fn fields<'e>(
        &mut self,
        el: &'e Element,
        path: &str,
        type_name: &str,
        fields: &[&'static str],
    ) -> Fields<'e> {
        let mut out: Fields<'e> = BTreeMap::new();
        for c in &el.children {
            let known = (c.name.ns == NS_VIM25 || c.name.ns.is_empty())
                .then(|| fields.iter().find(|f| **f == c.name.local))
                .flatten();
            match known {
                Some(f) => out.entry(f).or_default().push(c),
                None => {
                    let p = format!("{path}.{}", c.name.local);
                    self.error(
                        Code::UnknownField,
                        &p,
                        c,
                        format!("`{}` is not a field of {type_name}", c.name.local),
                    );
                }
            }
        }
        if !el.text.trim().is_empty() {
            self.error(
                Code::WrongType,
                path,
                el,
                format!("{type_name} holds elements, not text"),
            );
        }
        out
    }

    fn one<'e>(
        &mut self,
        f: &BTreeMap<&'static str, Vec<&'e Element>>,
        name: &str,
        path: &str,
    ) -> Option<&'e Element> {
        let v = f.get(name)?;
        if let Some(extra) = v.get(1) {
            self.error(
                Code::DuplicateKey,
                &format!("{path}.{name}"),
                extra,
                format!("`{name}` may appear only once"),
            );
        }
        let first = v.first().copied();
        if let Some(e) = first {
            self.seen(&format!("{path}.{name}"), e);
        }
        first
    }

    fn required<'e>(
        &mut self,
        f: &BTreeMap<&'static str, Vec<&'e Element>>,
        name: &str,
        path: &str,
        parent: &Element,
    ) -> Option<&'e Element> {
        let r = self.one(f, name, path);
        if r.is_none() {
            self.error(
                Code::MissingField,
                &format!("{path}.{name}"),
                parent,
                format!("required element `{name}` is missing"),
            );
        }
        r
    }

    fn leaf_text(&mut self, el: &Element, path: &str) -> String {
        if !el.children.is_empty() {
            self.error(
                Code::WrongType,
                path,
                el,
                "expected text, found elements".into(),
            );
        }
        el.text.clone()
    }

    fn string(
        &mut self,
        f: &BTreeMap<&'static str, Vec<&Element>>,
        name: &str,
        path: &str,
    ) -> Option<String> {
        let e = self.one(f, name, path)?;
        Some(self.leaf_text(e, &format!("{path}.{name}")))
    }

    fn req_string(
        &mut self,
        f: &BTreeMap<&'static str, Vec<&Element>>,
        name: &str,
        path: &str,
        parent: &Element,
    ) -> String {
        match self.required(f, name, path, parent) {
            Some(e) => self.leaf_text(e, &format!("{path}.{name}")),
            None => String::new(),
        }
    }

    fn strings(
        &mut self,
        f: &BTreeMap<&'static str, Vec<&Element>>,
        name: &str,
        path: &str,
    ) -> Vec<String> {
        let els: Vec<&Element> = f.get(name).cloned().unwrap_or_default();
        els.iter()
            .enumerate()
            .map(|(i, e)| {
                let p = format!("{path}.{name}[{i}]");
                self.seen(&p, e);
                self.leaf_text(e, &p)
            })
            .collect()
    }

    fn parse_bool(&mut self, el: &Element, path: &str) -> Option<bool> {
        let t = self.leaf_text(el, path);
        match t.trim() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            other => {
                self.error(
                    Code::WrongType,
                    path,
                    el,
                    format!("{other:?} is not an xsd:boolean (true, false, 1, 0)"),
                );
                None
            }
        }
    }

    fn parse_int<T: std::str::FromStr>(&mut self, el: &Element, path: &str, ty: &str) -> Option<T> {
        let t = self.leaf_text(el, path);
        match t.trim().parse::<T>() {
            Ok(v) => Some(v),
            Err(_) => {
                self.error(
                    Code::WrongType,
                    path,
                    el,
                    format!("{:?} is not an {ty}", t.trim()),
                );
                None
            }
        }
    }

    fn bool_field(
        &mut self,
        f: &BTreeMap<&'static str, Vec<&Element>>,
        name: &str,
        path: &str,
    ) -> Option<bool> {
        let e = self.one(f, name, path)?;
        self.parse_bool(e, &format!("{path}.{name}"))
    }

    fn req_bool(
        &mut self,
        f: &BTreeMap<&'static str, Vec<&Element>>,
        name: &str,
        path: &str,
        parent: &Element,
    ) -> bool {
        match self.required(f, name, path, parent) {
            Some(e) => self
                .parse_bool(e, &format!("{path}.{name}"))
                .unwrap_or(false),
            None => false,
        }
    }

    fn req_int(
        &mut self,
        f: &BTreeMap<&'static str, Vec<&Element>>,
        name: &str,
        path: &str,
        parent: &Element,
    ) -> i32 {
        match self.required(f, name, path, parent) {
            Some(e) => self
                .parse_int(e, &format!("{path}.{name}"), "xsd:int")
                .unwrap_or(0),
            None => 0,
        }
    }

    /// The concrete vim25 type of a polymorphic field.
    fn xsi_type<'a>(&mut self, el: &'a Element, path: &str, allowed: &[&str]) -> Option<&'a str> {
        let Some(t) = &el.xsi_type else {
            self.error(
                Code::WrongType,
                path,
                el,
                format!(
                    "`{}` is polymorphic and needs xsi:type (one of {})",
                    el.name.local,
                    allowed.join(", ")
                ),
            );
            return None;
        };
        if (t.ns == NS_VIM25 || t.ns.is_empty()) && allowed.contains(&t.local.as_str()) {
            Some(t.local.as_str())
        } else {
            self.error(
                Code::WrongType,
                path,
                el,
                format!(
                    "xsi:type `{}` is not allowed here (one of {})",
                    t.local,
                    allowed.join(", ")
                ),
            );
            None
        }
    }

    fn opt_int(&mut self, f: &Fields<'_>, name: &str, path: &str) -> Option<i32> {
        let e = self.one(f, name, path)?;
        self.parse_int(e, &format!("{path}.{name}"), "xsd:int")
    }

    fn req_name(&mut self, f: &Fields<'_>, name: &str, path: &str, parent: &Element) -> Name {
        match self.required(f, name, path, parent) {
            Some(e) => self.name(e, &format!("{path}.{name}")),
            None => Name::default(),
        }
    }

    fn req_object<T: VimObject>(
        &mut self,
        f: &Fields<'_>,
        name: &str,
        path: &str,
        parent: &Element,
    ) -> T {
        match self.required(f, name, path, parent) {
            Some(e) => T::decode(self, e, &format!("{path}.{name}")),
            None => T::default(),
        }
    }

    fn opt_object<T: VimObject>(&mut self, f: &Fields<'_>, name: &str, path: &str) -> Option<T> {
        let e = self.one(f, name, path)?;
        Some(T::decode(self, e, &format!("{path}.{name}")))
    }

    fn objects<T: VimObject>(&mut self, f: &Fields<'_>, name: &str, path: &str) -> Vec<T> {
        let els: Vec<&Element> = f.get(name).cloned().unwrap_or_default();
        els.iter()
            .enumerate()
            .map(|(i, e)| {
                let p = format!("{path}.{name}[{i}]");
                self.seen(&p, e);
                T::decode(self, e, &p)
            })
            .collect()
    }

    // What `vim_object!` cannot declare: polymorphic `xsi:type` choices, `extraConfig`,
    // the flattened `guiRunOnce`, `encryptionKey`, and the enumeration checks.

    /// `CustomizationName` is polymorphic (an `xsi:type` choice), so it is read by hand.
    fn name(&mut self, el: &Element, path: &str) -> Name {
        const T: &[&str] = &[
            "CustomizationFixedName",
            "CustomizationVirtualMachineName",
            "CustomizationPrefixName",
            "CustomizationUnknownName",
            "CustomizationCustomName",
        ];
        match self.xsi_type(el, path, T) {
            Some("CustomizationFixedName") => {
                let f = self.fields(el, path, "CustomizationFixedName", &["name"]);
                Name::Fixed(self.req_string(&f, "name", path, el))
            }
            Some("CustomizationPrefixName") => {
                let f = self.fields(el, path, "CustomizationPrefixName", &["base"]);
                Name::Prefix(self.req_string(&f, "base", path, el))
            }
            Some("CustomizationCustomName") => {
                let f = self.fields(el, path, "CustomizationCustomName", &["argument"]);
                Name::Custom(self.string(&f, "argument", path))
            }
            Some("CustomizationVirtualMachineName") => {
                self.fields(el, path, "CustomizationVirtualMachineName", &[]);
                Name::VirtualMachine
            }
            _ => {
                self.fields(el, path, "CustomizationUnknownName", &[]);
                Name::Unknown
            }
        }
    }

    /// `extraConfig` is `OptionValue[]` whose `anyType` value is read as a string.
    fn extra_config(
        &mut self,
        f: &Fields<'_>,
        name: &str,
        path: &str,
        _parent: &Element,
    ) -> Vec<(String, String)> {
        let v: Vec<&Element> = f.get(name).cloned().unwrap_or_default();
        if let Some(e) = v.first() {
            self.seen(&format!("{path}.{name}"), e);
        }
        let mut out = Vec::with_capacity(v.len());
        for (i, e) in v.iter().enumerate() {
            let p = format!("{path}.{name}[{i}]");
            self.seen(&p, e);
            let fields = self.fields(e, &p, "OptionValue", &["key", "value"]);
            let key = self.req_string(&fields, "key", &p, e);
            let value = self.string(&fields, "value", &p).unwrap_or_default();
            out.push((key, value));
        }
        out
    }

    /// `guiRunOnce` is flattened to its `commandList`, which must not be empty.
    fn gui_run_once(
        &mut self,
        f: &Fields<'_>,
        name: &str,
        path: &str,
        _parent: &Element,
    ) -> Vec<String> {
        let Some(r) = self.one(f, name, path) else {
            return Vec::new();
        };
        let p = format!("{path}.{name}");
        let rf = self.fields(r, &p, "CustomizationGuiRunOnce", &["commandList"]);
        if !rf.contains_key("commandList") {
            self.error(
                Code::MissingField,
                &format!("{p}.commandList"),
                r,
                "guiRunOnce needs at least one commandList entry".into(),
            );
        }
        self.strings(&rf, "commandList", &p)
    }

    fn check_license_mode(
        &mut self,
        v: &LicenseFilePrintData,
        _f: &Fields<'_>,
        path: &str,
        el: &Element,
    ) {
        let auto_mode = &v.auto_mode;
        if auto_mode != "perServer" && auto_mode != "perSeat" {
            self.error(
                Code::WrongType,
                &format!("{path}.autoMode"),
                el,
                format!("{auto_mode:?} is not a CustomizationLicenseDataMode (perServer, perSeat)"),
            );
        }
    }

    /// `CustomizationIdentitySettings` is polymorphic (an `xsi:type` choice), so the choice
    /// is read by hand; LinuxPrep and Sysprep bodies are declared with `vim_object!`.
    fn req_identity(
        &mut self,
        f: &Fields<'_>,
        name: &str,
        path: &str,
        parent: &Element,
    ) -> Identity {
        match self.required(f, name, path, parent) {
            Some(i) => self
                .identity(i, &format!("{path}.{name}"))
                .unwrap_or_default(),
            None => Identity::default(),
        }
    }

    fn identity(&mut self, el: &Element, path: &str) -> Option<Identity> {
        const T: &[&str] = &[
            "CustomizationLinuxPrep",
            "CustomizationSysprep",
            "CustomizationSysprepText",
            "CustomizationCloudinitPrep",
        ];
        Some(match self.xsi_type(el, path, T)? {
            "CustomizationLinuxPrep" => Identity::LinuxPrep(LinuxPrep::decode(self, el, path)),
            "CustomizationSysprep" => Identity::Sysprep(Box::new(Sysprep::decode(self, el, path))),
            "CustomizationSysprepText" => {
                let f = self.fields(el, path, "CustomizationSysprepText", &["value"]);
                Identity::SysprepText(self.req_string(&f, "value", path, el))
            }
            _ => {
                let f = self.fields(
                    el,
                    path,
                    "CustomizationCloudinitPrep",
                    &["metadata", "userdata"],
                );
                Identity::CloudinitPrep {
                    metadata: self.req_string(&f, "metadata", path, el),
                    userdata: self.string(&f, "userdata", path),
                }
            }
        })
    }

    /// `CustomizationIpGenerator` is polymorphic (an `xsi:type` choice), so it is read by hand.
    fn req_ip(&mut self, f: &Fields<'_>, name: &str, path: &str, parent: &Element) -> IpGenerator {
        match self.required(f, name, path, parent) {
            Some(e) => self.ip(e, &format!("{path}.{name}")),
            None => IpGenerator::Unknown,
        }
    }

    fn ip(&mut self, el: &Element, path: &str) -> IpGenerator {
        const T: &[&str] = &[
            "CustomizationFixedIp",
            "CustomizationDhcpIpGenerator",
            "CustomizationUnknownIpGenerator",
            "CustomizationCustomIpGenerator",
            "CustomizationDisableIpV4",
        ];
        match self.xsi_type(el, path, T) {
            Some("CustomizationFixedIp") => {
                let f = self.fields(el, path, "CustomizationFixedIp", &["ipAddress"]);
                IpGenerator::Fixed(self.req_string(&f, "ipAddress", path, el))
            }
            Some("CustomizationCustomIpGenerator") => {
                let f = self.fields(el, path, "CustomizationCustomIpGenerator", &["argument"]);
                IpGenerator::Custom(self.string(&f, "argument", path))
            }
            Some(t) => {
                self.fields(el, path, t, &[]);
                match t {
                    "CustomizationDhcpIpGenerator" => IpGenerator::Dhcp,
                    "CustomizationDisableIpV4" => IpGenerator::DisableIpV4,
                    _ => IpGenerator::Unknown,
                }
            }
            None => IpGenerator::Unknown,
        }
    }

    /// `CustomizationIpV6Generator[]` is polymorphic (an `xsi:type` choice per element) and
    /// needs at least one entry, so it is read by hand.
    fn ip6s(
        &mut self,
        f: &Fields<'_>,
        name: &str,
        path: &str,
        parent: &Element,
    ) -> Vec<Ipv6Generator> {
        let els: Vec<&Element> = f.get(name).cloned().unwrap_or_default();
        if els.is_empty() {
            self.error(
                Code::MissingField,
                &format!("{path}.{name}"),
                parent,
                "ipV6Spec needs at least one ip".into(),
            );
        }
        let mut ips = Vec::new();
        for (i, g) in els.iter().enumerate() {
            let gp = format!("{path}.{name}[{i}]");
            self.seen(&gp, g);
            if let Some(x) = self.ip6(g, &gp) {
                ips.push(x);
            }
        }
        ips
    }

    fn ip6(&mut self, el: &Element, path: &str) -> Option<Ipv6Generator> {
        const T: &[&str] = &[
            "CustomizationFixedIpV6",
            "CustomizationDhcpIpV6Generator",
            "CustomizationAutoIpV6Generator",
            "CustomizationStatelessIpV6Generator",
            "CustomizationUnknownIpV6Generator",
            "CustomizationCustomIpV6Generator",
        ];
        Some(match self.xsi_type(el, path, T)? {
            "CustomizationFixedIpV6" => {
                let f = self.fields(
                    el,
                    path,
                    "CustomizationFixedIpV6",
                    &["ipAddress", "subnetMask"],
                );
                Ipv6Generator::Fixed {
                    address: self.req_string(&f, "ipAddress", path, el),
                    prefix: self.req_int(&f, "subnetMask", path, el),
                }
            }
            "CustomizationCustomIpV6Generator" => {
                let f = self.fields(el, path, "CustomizationCustomIpV6Generator", &["argument"]);
                Ipv6Generator::Custom(self.string(&f, "argument", path))
            }
            t => {
                self.fields(el, path, t, &[]);
                match t {
                    "CustomizationDhcpIpV6Generator" => Ipv6Generator::Dhcp,
                    "CustomizationAutoIpV6Generator" => Ipv6Generator::Auto,
                    "CustomizationStatelessIpV6Generator" => Ipv6Generator::Stateless,
                    _ => Ipv6Generator::Unknown,
                }
            }
        })
    }

    fn check_net_bios(&mut self, v: &IpSettings, f: &Fields<'_>, path: &str, _el: &Element) {
        if let Some(n) = &v.net_bios
            && !matches!(
                n.as_str(),
                "enableNetBIOSViaDhcp" | "enableNetBIOS" | "disableNetBIOS"
            )
        {
            let p = format!("{path}.netBIOS");
            if let Some(e) = f.get("netBIOS").and_then(|v| v.first()) {
                self.error(
                    Code::WrongType,
                    &p,
                    e,
                    format!("{n:?} is not a CustomizationNetBIOSMode"),
                );
            }
        }
    }

    /// `CustomizationOptions` is polymorphic (an `xsi:type` choice), so it is read by hand.
    fn options(
        &mut self,
        f: &Fields<'_>,
        name: &str,
        path: &str,
        _parent: &Element,
    ) -> Option<Options> {
        let o = self.one(f, name, path)?;
        let p = format!("{path}.{name}");
        match self.xsi_type(
            o,
            &p,
            &["CustomizationLinuxOptions", "CustomizationWinOptions"],
        ) {
            Some("CustomizationWinOptions") => {
                let of = self.fields(
                    o,
                    &p,
                    "CustomizationWinOptions",
                    &["changeSID", "deleteAccounts", "reboot"],
                );
                let reboot = self.string(&of, "reboot", &p);
                if let Some(r) = &reboot
                    && !matches!(r.as_str(), "reboot" | "noreboot" | "shutdown")
                {
                    self.error(
                        Code::WrongType,
                        &format!("{p}.reboot"),
                        o,
                        format!("{r:?} is not a CustomizationSysprepRebootOption"),
                    );
                }
                Some(Options::Win {
                    change_sid: self.req_bool(&of, "changeSID", &p, o),
                    delete_accounts: self.req_bool(&of, "deleteAccounts", &p, o),
                    reboot,
                })
            }
            Some(_) => {
                self.fields(o, &p, "CustomizationLinuxOptions", &[]);
                Some(Options::Linux)
            }
            None => None,
        }
    }

    /// `encryptionKey` is `xsd:byte[]`, one element per signed byte.
    fn encryption_key(
        &mut self,
        f: &Fields<'_>,
        name: &str,
        path: &str,
        parent: &Element,
    ) -> Vec<i8> {
        let mut key = Vec::new();
        for (i, b) in f.get(name).cloned().unwrap_or_default().iter().enumerate() {
            let p = format!("{path}.{name}[{i}]");
            self.seen(&p, b);
            if let Some(v) = self.parse_int::<i8>(b, &p, "xsd:byte (-128..127)") {
                key.push(v);
            }
        }
        if !key.is_empty() {
            self.positions
                .entry(format!("{path}.{name}"))
                .or_insert(parent.offset);
        }
        key
    }

    fn spec(&mut self, el: &Element, path: &str) -> CustomizationSpec {
        self.seen(path, el);
        CustomizationSpec::decode(self, el, path)
    }
}
/// Finds the `CustomizationSpec` element: the root itself, or inside a SOAP envelope the
/// method's `spec` (or `item/spec` for Create/OverwriteCustomizationSpec).
fn locate_spec<'e>(
    root: &'e Element,
    info: &mut EnvelopeInfo,
) -> Result<(&'e Element, String), (String, usize)> {
    if root.name.ns != NS_SOAPENV {
        return Ok((root, "spec".into()));
    }
    if root.name.local != "Envelope" {
        return Err((
            format!("SOAP element `{}` is not an Envelope", root.name.local),
            root.offset,
        ));
    }
    let body = root
        .children
        .iter()
        .find(|c| c.name.ns == NS_SOAPENV && c.name.local == "Body")
        .ok_or_else(|| ("the SOAP envelope has no Body".to_string(), root.offset))?;
    let method = body
        .children
        .first()
        .ok_or_else(|| ("the SOAP Body is empty".to_string(), body.offset))?;
    info.method = method.name.local.clone();
    if let Some(spec) = method.child("spec") {
        return Ok((spec, "spec".into()));
    }
    if let Some(item) = method.child("item") {
        if let Some(i) = item.child("info") {
            let leaf = |n: &str| i.child(n).map(|e| e.text.clone());
            info.info_name = leaf("name");
            info.info_description = leaf("description");
            info.info_type = leaf("type");
        }
        if let Some(spec) = item.child("spec") {
            return Ok((spec, "item.spec".into()));
        }
    }
    if method.name.local.ends_with("Fault") || method.name.local == "Fault" {
        return Err((
            "the SOAP body is a fault, not a request".to_string(),
            method.offset,
        ));
    }
    Err((
        format!(
            "`{}` carries no CustomizationSpec (expected a `spec` or `item/spec` element)",
            method.name.local
        ),
        method.offset,
    ))
}

/// Decodes GOSC XML: a bare spec (any root element name) or a SOAP request carrying one.
pub fn from_xml(text: &str) -> Decoded {
    let mut dec = Dec {
        text,
        diags: Vec::new(),
        positions: BTreeMap::new(),
    };
    let mut out = Decoded::default();
    let root = match xml::parse(text) {
        Ok(r) => r,
        Err(e) => {
            let d = dec.at(
                Diagnostic::new(
                    Code::XmlInput,
                    "",
                    format!("not well-formed XML: {}", e.message),
                ),
                e.offset,
            );
            out.diagnostics.push(d);
            return out;
        }
    };
    let (el, path) = match locate_spec(&root, &mut out.envelope) {
        Ok(x) => x,
        Err((msg, offset)) => {
            let d = dec.at(Diagnostic::new(Code::XmlInput, "", msg), offset);
            out.diagnostics.push(d);
            return out;
        }
    };
    if !(el.name.ns == NS_VIM25 || el.name.ns.is_empty()) {
        dec.error(
            Code::XmlInput,
            &path,
            el,
            format!(
                "the spec element is in namespace {:?}; vim25 data is in \"urn:vim25\"",
                el.name.ns
            ),
        );
    }
    let spec = dec.spec(el, &path);
    let errors = dec
        .diags
        .iter()
        .any(|d| d.severity == crate::diagnostic::Severity::Error);
    out.spec = (!errors).then_some(spec);
    out.diagnostics = dec.diags;
    out.positions = dec.positions;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CustomizationSpec {
        CustomizationSpec {
            options: None,
            identity: Identity::LinuxPrep(LinuxPrep {
                host_name: Name::Fixed("web01".into()),
                domain: "example.internal".into(),
                time_zone: Some("Europe/Berlin".into()),
                hw_clock_utc: Some(true),
                ..LinuxPrep::default()
            }),
            global_ip_settings: GlobalIpSettings {
                dns_suffix_list: vec!["example.internal".into()],
                dns_server_list: vec!["10.0.0.53".into()],
            },
            nic_setting_map: vec![
                AdapterMapping {
                    mac_address: Some("00:50:56:00:00:01".into()),
                    adapter: IpSettings {
                        ip: IpGenerator::Fixed("10.0.0.10".into()),
                        subnet_mask: Some("255.255.255.0".into()),
                        gateway: vec!["10.0.0.1".into()],
                        ip_v6_spec: Some(Ipv6Spec {
                            ip: vec![Ipv6Generator::Fixed {
                                address: "fd00::10".into(),
                                prefix: 64,
                            }],
                            gateway: vec!["fd00::1".into()],
                        }),
                        ..IpSettings::default()
                    },
                },
                AdapterMapping {
                    mac_address: None,
                    adapter: IpSettings::default(),
                },
            ],
            encryption_key: vec![],
        }
    }

    #[test]
    fn encodes_in_wsdl_order_and_decodes_back() {
        let s = sample();
        let x = to_xml(&s, &Envelope::Bare).unwrap();
        assert!(x.contains("<identity xsi:type=\"CustomizationLinuxPrep\">"));
        let order: Vec<usize> = ["<hostName", "<domain>", "<timeZone>", "<hwClockUTC>"]
            .iter()
            .map(|t| x.find(t).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{x}");
        let d = from_xml(&x);
        assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
        assert_eq!(d.spec.unwrap(), s);
        for env in [
            Envelope::CustomizeVm { vm: "vm-1".into() },
            Envelope::CustomizeGuest {
                vm: "vm-1".into(),
                username: "root".into(),
                password: "x".into(),
            },
            Envelope::CreateSpec {
                name: "n".into(),
                description: "d".into(),
                kind: "Linux".into(),
            },
        ] {
            let x = to_xml(&s, &env).unwrap();
            let d = from_xml(&x);
            assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
            assert_eq!(d.spec.unwrap(), s);
        }
    }

    #[test]
    fn decoder_is_strict_about_names_and_types() {
        let x = to_xml(&sample(), &Envelope::Bare).unwrap();
        let cases = [
            ("<domain>", "<bogus>1</bogus><domain>", Code::UnknownField),
            (
                "xsi:type=\"CustomizationFixedIp\"",
                "xsi:type=\"CustomizationFixedIpX\"",
                Code::WrongType,
            ),
            (
                "<identity xsi:type=\"CustomizationLinuxPrep\">",
                "<identity>",
                Code::WrongType,
            ),
            ("<subnetMask>64<", "<subnetMask>sixtyfour<", Code::WrongType),
            ("<hwClockUTC>true<", "<hwClockUTC>yes<", Code::WrongType),
            ("<domain>example.internal</domain>", "", Code::MissingField),
            ("</identity>", "", Code::XmlInput),
        ];
        for (from, to, code) in cases {
            assert!(x.contains(from), "{from}");
            let bad = x.replacen(from, to, 1);
            let d = from_xml(&bad);
            assert!(d.spec.is_none(), "{to}");
            assert!(
                d.diagnostics.iter().any(|g| g.code == code),
                "{to}: {:?}",
                d.diagnostics
            );
            assert!(d.diagnostics.iter().all(|g| g.line.is_some()));
        }
    }

    #[test]
    fn reads_govmomi_prefix_and_reordered_fields() {
        let x = r#"<spec xmlns="urn:vim25" xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance">
<globalIPSettings/>
<identity XMLSchema-instance:type="CustomizationLinuxPrep"><domain>d.example</domain><hostName XMLSchema-instance:type="CustomizationFixedName"><name>h</name></hostName></identity>
</spec>"#;
        let d = from_xml(x);
        assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
        let Identity::LinuxPrep(l) = d.spec.unwrap().identity else {
            panic!()
        };
        assert_eq!(l.host_name, Name::Fixed("h".into()));
    }

    mod prop {
        use super::super::*;
        use proptest::option;
        use proptest::prelude::*;

        /// Any text XML 1.0 can carry, biased towards markup and whitespace that a careless
        /// writer would get wrong.
        fn text() -> impl Strategy<Value = String> {
            proptest::string::string_regex(
                "([<>&'\"\\]|]]>|\\r|\r\n|\t|\n| |[a-z0-9]|é|€|😀|\u{85}|\u{7f}|\u{fffd}|\u{e000}){0,12}",
            )
            .expect("valid regex")
        }

        fn name() -> impl Strategy<Value = Name> {
            prop_oneof![
                text().prop_map(Name::Fixed),
                Just(Name::VirtualMachine),
                text().prop_map(Name::Prefix),
                Just(Name::Unknown),
                option::of(text()).prop_map(Name::Custom),
            ]
        }

        fn password() -> impl Strategy<Value = Option<Password>> {
            option::of(
                (text(), any::<bool>())
                    .prop_map(|(value, plain_text)| Password { value, plain_text }),
            )
        }

        fn identity() -> impl Strategy<Value = Identity> {
            let linux = (
                name(),
                text(),
                option::of(text()),
                option::of(any::<bool>()),
                option::of(text()),
                option::of(any::<bool>()),
                password(),
            )
                .prop_map(
                    |(host_name, domain, time_zone, hw, script, reset, password)| {
                        Identity::LinuxPrep(LinuxPrep {
                            host_name,
                            domain,
                            time_zone,
                            hw_clock_utc: hw,
                            script_text: script,
                            reset_password: reset,
                            password,
                            ..LinuxPrep::default()
                        })
                    },
                );
            let sysprep = (
                (password(), any::<i32>(), any::<bool>(), any::<i32>()),
                (text(), text(), name(), text()),
                proptest::collection::vec(text(), 0..3),
                (
                    option::of(text()),
                    option::of(text()),
                    option::of(text()),
                    password(),
                ),
                option::of((
                    prop_oneof![Just("perSeat"), Just("perServer")],
                    option::of(any::<i32>()),
                )),
            )
                .prop_map(|(g, u, run, id, lic)| {
                    Identity::Sysprep(Box::new(Sysprep {
                        gui_unattended: GuiUnattended {
                            password: g.0,
                            time_zone: g.1,
                            auto_logon: g.2,
                            auto_logon_count: g.3,
                        },
                        user_data: UserData {
                            full_name: u.0,
                            org_name: u.1,
                            computer_name: u.2,
                            product_id: u.3,
                        },
                        gui_run_once: run,
                        identification: Identification {
                            join_workgroup: id.0,
                            join_domain: id.1,
                            domain_admin: id.2,
                            domain_admin_password: id.3,
                            domain_ou: None,
                        },
                        license_file_print_data: lic.map(|(m, n)| LicenseFilePrintData {
                            auto_mode: m.to_string(),
                            auto_users: n,
                        }),
                        ..Sysprep::default()
                    }))
                });
            prop_oneof![
                linux,
                sysprep,
                text().prop_map(Identity::SysprepText),
                (text(), option::of(text())).prop_map(|(metadata, userdata)| {
                    Identity::CloudinitPrep { metadata, userdata }
                }),
            ]
        }

        fn adapter() -> impl Strategy<Value = IpSettings> {
            let ip = prop_oneof![
                text().prop_map(IpGenerator::Fixed),
                Just(IpGenerator::Dhcp),
                Just(IpGenerator::Unknown),
                option::of(text()).prop_map(IpGenerator::Custom),
                Just(IpGenerator::DisableIpV4),
            ];
            let ip6 = prop_oneof![
                (text(), any::<i32>())
                    .prop_map(|(address, prefix)| Ipv6Generator::Fixed { address, prefix }),
                Just(Ipv6Generator::Dhcp),
                Just(Ipv6Generator::Auto),
                Just(Ipv6Generator::Stateless),
                option::of(text()).prop_map(Ipv6Generator::Custom),
            ];
            (
                ip,
                option::of(text()),
                proptest::collection::vec(text(), 0..3),
                option::of((
                    proptest::collection::vec(ip6, 1..3),
                    proptest::collection::vec(text(), 0..2),
                )),
                proptest::collection::vec(text(), 0..3),
                option::of(text()),
                option::of(prop_oneof![
                    Just("enableNetBIOS".to_string()),
                    Just("disableNetBIOS".to_string())
                ]),
            )
                .prop_map(|(ip, mask, gw, v6, dns, dom, nb)| IpSettings {
                    ip,
                    subnet_mask: mask,
                    gateway: gw,
                    ip_v6_spec: v6.map(|(ip, gateway)| Ipv6Spec { ip, gateway }),
                    dns_server_list: dns,
                    dns_domain: dom,
                    net_bios: nb,
                    ..IpSettings::default()
                })
        }

        fn spec() -> impl Strategy<Value = CustomizationSpec> {
            (
                option::of(prop_oneof![
                    Just(Options::Linux),
                    (any::<bool>(), any::<bool>()).prop_map(|(a, b)| Options::Win {
                        change_sid: a,
                        delete_accounts: b,
                        reboot: Some("noreboot".into()),
                    }),
                ]),
                identity(),
                proptest::collection::vec(text(), 0..3),
                proptest::collection::vec(text(), 0..3),
                proptest::collection::vec((option::of(text()), adapter()), 0..4),
                proptest::collection::vec(any::<i8>(), 0..3),
            )
                .prop_map(|(options, identity, sfx, srv, nics, key)| {
                    CustomizationSpec {
                        options,
                        identity,
                        global_ip_settings: GlobalIpSettings {
                            dns_suffix_list: sfx,
                            dns_server_list: srv,
                        },
                        nic_setting_map: nics
                            .into_iter()
                            .map(|(mac_address, adapter)| AdapterMapping {
                                mac_address,
                                adapter,
                            })
                            .collect(),
                        encryption_key: key,
                    }
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]
            /// Whatever the values, the XML has the same structure and reads back equal, in
            /// every envelope.
            #[test]
            fn xml_round_trips(s in spec(), env in 0..4u8) {
                let env = match env {
                    0 => Envelope::Bare,
                    1 => Envelope::CustomizeVm { vm: "vm-<1>&".into() },
                    2 => Envelope::CustomizeGuest { vm: "v".into(), username: "u\"".into(), password: "]]>".into() },
                    _ => Envelope::CreateSpec { name: "a&b".into(), description: "<d>".into(), kind: "Linux".into() },
                };
                let x = to_xml(&s, &env).unwrap();
                let d = from_xml(&x);
                prop_assert!(d.diagnostics.is_empty(), "{:?}\n{}", d.diagnostics, x);
                prop_assert_eq!(d.spec.unwrap(), s);
            }
        }
    }
}
