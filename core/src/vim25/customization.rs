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

/// A vim25 data object whose XML is a plain `xs:sequence` of child elements. Implemented
/// only by [`vim_object!`], so that its writer and its decoder come from one declaration.
trait VimObject: Default {
    /// Writes the child elements in WSDL order; the caller writes the element around them.
    fn write_body(&self, w: &mut XmlWriter);
    /// Reads the child elements of `el` (in any order), reporting whatever does not fit.
    fn decode(d: &mut Dec<'_>, el: &Element, path: &str) -> Self;
}

/// Declares a vim25 data object: its vim25 type name and, in WSDL `xs:sequence` order, one
/// `field: "element" => kind` entry per element, where `kind` names a module of [`kind`]
/// (its `write` and `read` handle that field). Derives both [`VimObject`] halves: the writer
/// emits the entries in this order, the decoder accepts exactly these elements (in any
/// order). A `check` function runs after decoding, for values restricted to an enumeration.
macro_rules! vim_object {
    ($ty:ident = $vim:literal $(, check $check:path)? {
        $($field:ident: $el:literal => $kind:ident),* $(,)?
    }) => {
        impl VimObject for $ty {
            fn write_body(&self, w: &mut XmlWriter) {
                $(kind::$kind::write(w, $el, &self.$field);)*
            }

            fn decode(d: &mut Dec<'_>, el: &Element, path: &str) -> Self {
                let c = d.fields(el, path, $vim, &[$($el),*]);
                let v = $ty {
                    $($field: kind::$kind::read(d, &c, $el),)*
                };
                $($check(d, &v, &c);)?
                v
            }
        }
    };
}

vim_object!(CustomizationSpec = "CustomizationSpec" {
    options: "options" => options,
    identity: "identity" => identity,
    global_ip_settings: "globalIPSettings" => object_or_empty,
    nic_setting_map: "nicSettingMap" => objects,
    encryption_key: "encryptionKey" => encryption_key,
});

vim_object!(Password = "CustomizationPassword" {
    value: "value" => string,
    plain_text: "plainText" => boolean,
});

vim_object!(LinuxPrep = "CustomizationLinuxPrep" {
    host_name: "hostName" => name,
    domain: "domain" => string,
    time_zone: "timeZone" => opt_string,
    hw_clock_utc: "hwClockUTC" => opt_boolean,
    script_text: "scriptText" => opt_string,
    compatible_customization_method: "compatibleCustomizationMethod" => opt_string,
    reset_password: "resetPassword" => opt_boolean,
    password: "password" => opt_object,
    extra_config: "extraConfig" => extra_config,
});

vim_object!(Sysprep = "CustomizationSysprep" {
    gui_unattended: "guiUnattended" => object,
    user_data: "userData" => object,
    gui_run_once: "guiRunOnce" => gui_run_once,
    identification: "identification" => object,
    license_file_print_data: "licenseFilePrintData" => opt_object,
    script_text: "scriptText" => opt_string,
    reset_password: "resetPassword" => opt_boolean,
    extra_config: "extraConfig" => extra_config,
});

vim_object!(GuiUnattended = "CustomizationGuiUnattended" {
    password: "password" => opt_object,
    time_zone: "timeZone" => int,
    auto_logon: "autoLogon" => boolean,
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

vim_object!(LicenseFilePrintData = "CustomizationLicenseFilePrintData", check license_mode {
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

vim_object!(IpSettings = "CustomizationIPSettings", check net_bios_mode {
    ip: "ip" => ip,
    subnet_mask: "subnetMask" => opt_string,
    gateway: "gateway" => strings,
    ip_v6_spec: "ipV6Spec" => opt_object,
    dns_server_list: "dnsServerList" => strings,
    dns_domain: "dnsDomain" => opt_string,
    primary_wins: "primaryWINS" => opt_string,
    secondary_wins: "secondaryWINS" => opt_string,
    net_bios: "netBIOS" => opt_string,
    primary: "primary" => opt_boolean,
});

vim_object!(Ipv6Spec = "CustomizationIPSettingsIpV6AddressSpec" {
    ip: "ip" => ip6s,
    gateway: "gateway" => strings,
});

/// `CustomizationLicenseDataMode` (checked even when `autoMode` is missing).
fn license_mode(d: &mut Dec<'_>, v: &LicenseFilePrintData, c: &Children<'_, '_>) {
    let mode = &v.auto_mode;
    if mode != "perServer" && mode != "perSeat" {
        d.error(
            Code::WrongType,
            &c.path("autoMode"),
            c.el,
            format!("{mode:?} is not a CustomizationLicenseDataMode (perServer, perSeat)"),
        );
    }
}

/// `CustomizationNetBIOSMode`.
fn net_bios_mode(d: &mut Dec<'_>, v: &IpSettings, c: &Children<'_, '_>) {
    if let Some(n) = &v.net_bios
        && !matches!(
            n.as_str(),
            "enableNetBIOSViaDhcp" | "enableNetBIOS" | "disableNetBIOS"
        )
        && let Some(e) = c.by_name.get("netBIOS").and_then(|v| v.first())
    {
        d.error(
            Code::WrongType,
            &c.path("netBIOS"),
            e,
            format!("{n:?} is not a CustomizationNetBIOSMode"),
        );
    }
}

fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// The field kinds of [`vim_object!`]: each module writes one field's elements (`write`) and
/// reads them back (`read`). The plain kinds come first; after them, written by hand, the
/// elements whose shape is irregular: polymorphic `xsi:type` choices (`name`, `options`,
/// `identity`, `ip`, `ip6s`), `extraConfig`, the flattened `guiRunOnce` and `encryptionKey`.
mod kind {
    use super::*;

    /// An `xsi:type` choice: `<el xsi:type="t">` with the chosen type's string elements, or
    /// `<el xsi:type="t"/>` when it has none.
    fn choice(w: &mut XmlWriter, el: &'static str, t: &str, leaves: &[(&'static str, &str)]) {
        if leaves.is_empty() {
            w.empty(el, &[("xsi:type", t)]);
        } else {
            w.open(el, &[("xsi:type", t)]);
            for (name, v) in leaves {
                w.leaf(name, v);
            }
            w.close();
        }
    }

    /// The optional `argument` of the `Customization*Custom*` types.
    fn argument(a: &Option<String>) -> Vec<(&'static str, &str)> {
        a.iter().map(|a| ("argument", a.as_str())).collect()
    }

    /// Reads the chosen type `t` when its one element, `name`, is a required string.
    fn leaf_of(d: &mut Dec<'_>, el: &Element, path: &str, t: &str, name: &'static str) -> String {
        let c = d.fields(el, path, t, &[name]);
        d.req_string(&c, name)
    }

    /// Reads the optional `argument` of the `Customization*Custom*` type `t`.
    fn argument_of(d: &mut Dec<'_>, el: &Element, path: &str, t: &str) -> Option<String> {
        let c = d.fields(el, path, t, &["argument"]);
        d.string(&c, "argument")
    }

    /// A required `xsd:string`.
    pub mod string {
        use super::*;
        pub fn write(w: &mut XmlWriter, el: &'static str, v: &str) {
            w.leaf(el, v);
        }
        pub fn read(d: &mut Dec<'_>, c: &Children<'_, '_>, el: &str) -> String {
            d.req_string(c, el)
        }
    }

    /// An optional `xsd:string`.
    pub mod opt_string {
        use super::*;
        pub fn write(w: &mut XmlWriter, el: &'static str, v: &Option<String>) {
            w.leaf_opt(el, v.as_deref());
        }
        pub fn read(d: &mut Dec<'_>, c: &Children<'_, '_>, el: &str) -> Option<String> {
            d.string(c, el)
        }
    }

    /// A required `xsd:boolean`.
    pub mod boolean {
        use super::*;
        pub fn write(w: &mut XmlWriter, el: &'static str, v: &bool) {
            w.leaf(el, bool_str(*v));
        }
        pub fn read(d: &mut Dec<'_>, c: &Children<'_, '_>, el: &str) -> bool {
            d.req_bool(c, el)
        }
    }

    /// An optional `xsd:boolean`.
    pub mod opt_boolean {
        use super::*;
        pub fn write(w: &mut XmlWriter, el: &'static str, v: &Option<bool>) {
            if let Some(b) = v {
                w.leaf(el, bool_str(*b));
            }
        }
        pub fn read(d: &mut Dec<'_>, c: &Children<'_, '_>, el: &str) -> Option<bool> {
            d.opt(c, el, Dec::parse_bool).flatten()
        }
    }

    /// A required `xsd:int`.
    pub mod int {
        use super::*;
        pub fn write(w: &mut XmlWriter, el: &'static str, v: &i32) {
            w.leaf(el, &v.to_string());
        }
        pub fn read(d: &mut Dec<'_>, c: &Children<'_, '_>, el: &str) -> i32 {
            d.req_int(c, el)
        }
    }

    /// An optional `xsd:int`.
    pub mod opt_int {
        use super::*;
        pub fn write(w: &mut XmlWriter, el: &'static str, v: &Option<i32>) {
            if let Some(n) = v {
                w.leaf(el, &n.to_string());
            }
        }
        pub fn read(d: &mut Dec<'_>, c: &Children<'_, '_>, el: &str) -> Option<i32> {
            d.opt(c, el, |d, e, p| d.parse_int(e, p, "xsd:int"))
                .flatten()
        }
    }

    /// `xsd:string[]`: the element repeated, once per value.
    pub mod strings {
        use super::*;
        pub fn write(w: &mut XmlWriter, el: &'static str, v: &[String]) {
            w.leaves(el, v);
        }
        pub fn read(d: &mut Dec<'_>, c: &Children<'_, '_>, el: &str) -> Vec<String> {
            d.list(c, el, Dec::leaf_text)
        }
    }

    /// A required nested [`VimObject`].
    pub mod object {
        use super::*;
        pub fn write<T: VimObject>(w: &mut XmlWriter, el: &'static str, v: &T) {
            w.open(el, &[]);
            v.write_body(w);
            w.close();
        }
        pub fn read<T: VimObject>(d: &mut Dec<'_>, c: &Children<'_, '_>, el: &str) -> T {
            d.req(c, el, T::default(), T::decode)
        }
    }

    /// A required nested [`VimObject`], written as `<el/>` while it is all defaults.
    pub mod object_or_empty {
        use super::*;
        pub fn write<T: VimObject + PartialEq>(w: &mut XmlWriter, el: &'static str, v: &T) {
            if *v == T::default() {
                w.empty(el, &[]);
            } else {
                object::write(w, el, v);
            }
        }
        pub use super::object::read;
    }

    /// An optional nested [`VimObject`].
    pub mod opt_object {
        use super::*;
        pub fn write<T: VimObject>(w: &mut XmlWriter, el: &'static str, v: &Option<T>) {
            if let Some(o) = v {
                object::write(w, el, o);
            }
        }
        pub fn read<T: VimObject>(d: &mut Dec<'_>, c: &Children<'_, '_>, el: &str) -> Option<T> {
            d.opt(c, el, T::decode)
        }
    }

    /// A nested [`VimObject`] array: the element repeated, once per object.
    pub mod objects {
        use super::*;
        pub fn write<T: VimObject>(w: &mut XmlWriter, el: &'static str, v: &[T]) {
            for o in v {
                object::write(w, el, o);
            }
        }
        pub fn read<T: VimObject>(d: &mut Dec<'_>, c: &Children<'_, '_>, el: &str) -> Vec<T> {
            d.list(c, el, T::decode)
        }
    }

    /// A required `CustomizationName`: polymorphic (an `xsi:type` choice), so hand-written.
    pub mod name {
        use super::*;
        pub fn write(w: &mut XmlWriter, el: &'static str, n: &Name) {
            match n {
                Name::Fixed(v) => choice(w, el, "CustomizationFixedName", &[("name", v)]),
                Name::VirtualMachine => choice(w, el, "CustomizationVirtualMachineName", &[]),
                Name::Prefix(b) => choice(w, el, "CustomizationPrefixName", &[("base", b)]),
                Name::Unknown => choice(w, el, "CustomizationUnknownName", &[]),
                Name::Custom(a) => choice(w, el, "CustomizationCustomName", &argument(a)),
            }
        }
        pub fn read(d: &mut Dec<'_>, c: &Children<'_, '_>, el: &str) -> Name {
            d.req(c, el, Name::default(), decode)
        }
        /// A missing or unknown `xsi:type` reads as `CustomizationUnknownName`.
        fn decode(d: &mut Dec<'_>, el: &Element, path: &str) -> Name {
            const T: &[&str] = &[
                "CustomizationFixedName",
                "CustomizationVirtualMachineName",
                "CustomizationPrefixName",
                "CustomizationUnknownName",
                "CustomizationCustomName",
            ];
            match d.xsi_type(el, path, T) {
                Some(t @ "CustomizationFixedName") => Name::Fixed(leaf_of(d, el, path, t, "name")),
                Some(t @ "CustomizationPrefixName") => {
                    Name::Prefix(leaf_of(d, el, path, t, "base"))
                }
                Some(t @ "CustomizationCustomName") => Name::Custom(argument_of(d, el, path, t)),
                Some("CustomizationVirtualMachineName") => {
                    d.fields(el, path, "CustomizationVirtualMachineName", &[]);
                    Name::VirtualMachine
                }
                _ => {
                    d.fields(el, path, "CustomizationUnknownName", &[]);
                    Name::Unknown
                }
            }
        }
    }

    /// Optional `CustomizationOptions`: polymorphic (an `xsi:type` choice), so hand-written.
    pub mod options {
        use super::*;
        pub fn write(w: &mut XmlWriter, el: &'static str, o: &Option<Options>) {
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
        pub fn read(d: &mut Dec<'_>, c: &Children<'_, '_>, el: &str) -> Option<Options> {
            d.opt(c, el, decode).flatten()
        }
        fn decode(d: &mut Dec<'_>, o: &Element, p: &str) -> Option<Options> {
            const T: &[&str] = &["CustomizationLinuxOptions", "CustomizationWinOptions"];
            match d.xsi_type(o, p, T) {
                Some("CustomizationWinOptions") => {
                    let c = d.fields(
                        o,
                        p,
                        "CustomizationWinOptions",
                        &["changeSID", "deleteAccounts", "reboot"],
                    );
                    let reboot = d.string(&c, "reboot");
                    if let Some(r) = &reboot
                        && !matches!(r.as_str(), "reboot" | "noreboot" | "shutdown")
                    {
                        d.error(
                            Code::WrongType,
                            &c.path("reboot"),
                            o,
                            format!("{r:?} is not a CustomizationSysprepRebootOption"),
                        );
                    }
                    Some(Options::Win {
                        change_sid: d.req_bool(&c, "changeSID"),
                        delete_accounts: d.req_bool(&c, "deleteAccounts"),
                        reboot,
                    })
                }
                Some(_) => {
                    d.fields(o, p, "CustomizationLinuxOptions", &[]);
                    Some(Options::Linux)
                }
                None => None,
            }
        }
    }

    /// The required `CustomizationIdentitySettings`: polymorphic (an `xsi:type` choice), so
    /// the choice is hand-written; the LinuxPrep and Sysprep bodies are [`VimObject`]s.
    pub mod identity {
        use super::*;
        pub fn write(w: &mut XmlWriter, el: &'static str, identity: &Identity) {
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
        pub fn read(d: &mut Dec<'_>, c: &Children<'_, '_>, el: &str) -> Identity {
            d.req(c, el, Identity::default(), |d, e, p| {
                decode(d, e, p).unwrap_or_default()
            })
        }
        fn decode(d: &mut Dec<'_>, el: &Element, path: &str) -> Option<Identity> {
            const T: &[&str] = &[
                "CustomizationLinuxPrep",
                "CustomizationSysprep",
                "CustomizationSysprepText",
                "CustomizationCloudinitPrep",
            ];
            Some(match d.xsi_type(el, path, T)? {
                "CustomizationLinuxPrep" => Identity::LinuxPrep(LinuxPrep::decode(d, el, path)),
                "CustomizationSysprep" => Identity::Sysprep(Box::new(Sysprep::decode(d, el, path))),
                t @ "CustomizationSysprepText" => {
                    Identity::SysprepText(leaf_of(d, el, path, t, "value"))
                }
                _ => {
                    let c = d.fields(
                        el,
                        path,
                        "CustomizationCloudinitPrep",
                        &["metadata", "userdata"],
                    );
                    Identity::CloudinitPrep {
                        metadata: d.req_string(&c, "metadata"),
                        userdata: d.string(&c, "userdata"),
                    }
                }
            })
        }
    }

    /// `extraConfig` is `OptionValue[]`: each element carries its own `xsi:type`, and the
    /// `anyType` value says it is a string (and is read as one).
    pub mod extra_config {
        use super::*;
        pub fn write(w: &mut XmlWriter, el: &'static str, entries: &[(String, String)]) {
            for (k, v) in entries {
                w.open(el, &[("xsi:type", "OptionValue")]);
                w.leaf("key", k);
                w.leaf_with("value", &[("xsi:type", "xsd:string")], v);
                w.close();
            }
        }
        pub fn read(d: &mut Dec<'_>, c: &Children<'_, '_>, el: &str) -> Vec<(String, String)> {
            if let Some(e) = c.by_name.get(el).and_then(|v| v.first()) {
                d.seen(&c.path(el), e);
            }
            d.list(c, el, |d, e, p| {
                let o = d.fields(e, p, "OptionValue", &["key", "value"]);
                (
                    d.req_string(&o, "key"),
                    d.string(&o, "value").unwrap_or_default(),
                )
            })
        }
    }

    /// `guiRunOnce` flattened to its `commandList` (omitted when empty, never empty when
    /// present).
    pub mod gui_run_once {
        use super::*;
        pub fn write(w: &mut XmlWriter, el: &'static str, commands: &[String]) {
            if !commands.is_empty() {
                w.open(el, &[]);
                w.leaves("commandList", commands);
                w.close();
            }
        }
        pub fn read(d: &mut Dec<'_>, c: &Children<'_, '_>, el: &str) -> Vec<String> {
            d.opt(c, el, |d, r, p| {
                let rc = d.fields(r, p, "CustomizationGuiRunOnce", &["commandList"]);
                if !rc.by_name.contains_key("commandList") {
                    d.error(
                        Code::MissingField,
                        &rc.path("commandList"),
                        r,
                        "guiRunOnce needs at least one commandList entry".into(),
                    );
                }
                d.list(&rc, "commandList", Dec::leaf_text)
            })
            .unwrap_or_default()
        }
    }

    /// The required `CustomizationIpGenerator`: polymorphic (an `xsi:type` choice), so
    /// hand-written.
    pub mod ip {
        use super::*;
        pub fn write(w: &mut XmlWriter, el: &'static str, ip: &IpGenerator) {
            match ip {
                IpGenerator::Fixed(ip) => {
                    choice(w, el, "CustomizationFixedIp", &[("ipAddress", ip)])
                }
                IpGenerator::Dhcp => choice(w, el, "CustomizationDhcpIpGenerator", &[]),
                IpGenerator::Unknown => choice(w, el, "CustomizationUnknownIpGenerator", &[]),
                IpGenerator::Custom(a) => {
                    choice(w, el, "CustomizationCustomIpGenerator", &argument(a))
                }
                IpGenerator::DisableIpV4 => choice(w, el, "CustomizationDisableIpV4", &[]),
            }
        }
        pub fn read(d: &mut Dec<'_>, c: &Children<'_, '_>, el: &str) -> IpGenerator {
            d.req(c, el, IpGenerator::Unknown, decode)
        }
        fn decode(d: &mut Dec<'_>, el: &Element, path: &str) -> IpGenerator {
            const T: &[&str] = &[
                "CustomizationFixedIp",
                "CustomizationDhcpIpGenerator",
                "CustomizationUnknownIpGenerator",
                "CustomizationCustomIpGenerator",
                "CustomizationDisableIpV4",
            ];
            match d.xsi_type(el, path, T) {
                Some(t @ "CustomizationFixedIp") => {
                    IpGenerator::Fixed(leaf_of(d, el, path, t, "ipAddress"))
                }
                Some(t @ "CustomizationCustomIpGenerator") => {
                    IpGenerator::Custom(argument_of(d, el, path, t))
                }
                Some(t) => {
                    d.fields(el, path, t, &[]);
                    match t {
                        "CustomizationDhcpIpGenerator" => IpGenerator::Dhcp,
                        "CustomizationDisableIpV4" => IpGenerator::DisableIpV4,
                        _ => IpGenerator::Unknown,
                    }
                }
                None => IpGenerator::Unknown,
            }
        }
    }

    /// `CustomizationIpV6Generator[]`, at least one: polymorphic (an `xsi:type` choice per
    /// element), so hand-written.
    pub mod ip6s {
        use super::*;
        pub fn write(w: &mut XmlWriter, el: &'static str, generators: &[Ipv6Generator]) {
            for g in generators {
                match g {
                    Ipv6Generator::Fixed { address, prefix } => choice(
                        w,
                        el,
                        "CustomizationFixedIpV6",
                        &[("ipAddress", address), ("subnetMask", &prefix.to_string())],
                    ),
                    Ipv6Generator::Dhcp => choice(w, el, "CustomizationDhcpIpV6Generator", &[]),
                    Ipv6Generator::Auto => choice(w, el, "CustomizationAutoIpV6Generator", &[]),
                    Ipv6Generator::Stateless => {
                        choice(w, el, "CustomizationStatelessIpV6Generator", &[])
                    }
                    Ipv6Generator::Unknown => {
                        choice(w, el, "CustomizationUnknownIpV6Generator", &[])
                    }
                    Ipv6Generator::Custom(a) => {
                        choice(w, el, "CustomizationCustomIpV6Generator", &argument(a))
                    }
                }
            }
        }
        pub fn read(d: &mut Dec<'_>, c: &Children<'_, '_>, el: &str) -> Vec<Ipv6Generator> {
            if !c.by_name.contains_key(el) {
                d.error(
                    Code::MissingField,
                    &c.path(el),
                    c.el,
                    "ipV6Spec needs at least one ip".into(),
                );
            }
            d.list(c, el, decode).into_iter().flatten().collect()
        }
        fn decode(d: &mut Dec<'_>, el: &Element, path: &str) -> Option<Ipv6Generator> {
            const T: &[&str] = &[
                "CustomizationFixedIpV6",
                "CustomizationDhcpIpV6Generator",
                "CustomizationAutoIpV6Generator",
                "CustomizationStatelessIpV6Generator",
                "CustomizationUnknownIpV6Generator",
                "CustomizationCustomIpV6Generator",
            ];
            Some(match d.xsi_type(el, path, T)? {
                "CustomizationFixedIpV6" => {
                    let c = d.fields(
                        el,
                        path,
                        "CustomizationFixedIpV6",
                        &["ipAddress", "subnetMask"],
                    );
                    Ipv6Generator::Fixed {
                        address: d.req_string(&c, "ipAddress"),
                        prefix: d.req_int(&c, "subnetMask"),
                    }
                }
                t @ "CustomizationCustomIpV6Generator" => {
                    Ipv6Generator::Custom(argument_of(d, el, path, t))
                }
                t => {
                    d.fields(el, path, t, &[]);
                    match t {
                        "CustomizationDhcpIpV6Generator" => Ipv6Generator::Dhcp,
                        "CustomizationAutoIpV6Generator" => Ipv6Generator::Auto,
                        "CustomizationStatelessIpV6Generator" => Ipv6Generator::Stateless,
                        _ => Ipv6Generator::Unknown,
                    }
                }
            })
        }
    }

    /// `encryptionKey` is `xsd:byte[]`, one element per signed byte.
    pub mod encryption_key {
        use super::*;
        pub fn write(w: &mut XmlWriter, el: &'static str, key: &[i8]) {
            for b in key {
                w.leaf(el, &b.to_string());
            }
        }
        pub fn read(d: &mut Dec<'_>, c: &Children<'_, '_>, el: &str) -> Vec<i8> {
            let key: Vec<i8> = d
                .list(c, el, |d, b, p| d.parse_int(b, p, "xsd:byte (-128..127)"))
                .into_iter()
                .flatten()
                .collect();
            if !key.is_empty() {
                d.positions.entry(c.path(el)).or_insert(c.el.offset);
            }
            key
        }
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

/// The children of one decoded element by field name, with the element and its path (a
/// missing child is reported at the element).
struct Children<'p, 'e> {
    by_name: BTreeMap<&'static str, Vec<&'e Element>>,
    path: &'p str,
    el: &'e Element,
}

impl Children<'_, '_> {
    /// The path of the child `name`.
    fn path(&self, name: &str) -> String {
        format!("{}.{name}", self.path)
    }
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
    fn fields<'p, 'e>(
        &mut self,
        el: &'e Element,
        path: &'p str,
        type_name: &str,
        fields: &[&'static str],
    ) -> Children<'p, 'e> {
        let mut by_name: BTreeMap<&'static str, Vec<&'e Element>> = BTreeMap::new();
        for c in &el.children {
            let known = (c.name.ns == NS_VIM25 || c.name.ns.is_empty())
                .then(|| fields.iter().find(|f| **f == c.name.local))
                .flatten();
            match known {
                Some(f) => by_name.entry(f).or_default().push(c),
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
        Children { by_name, path, el }
    }

    fn one<'e>(&mut self, c: &Children<'_, 'e>, name: &str) -> Option<&'e Element> {
        let v = c.by_name.get(name)?;
        if let Some(extra) = v.get(1) {
            self.error(
                Code::DuplicateKey,
                &c.path(name),
                extra,
                format!("`{name}` may appear only once"),
            );
        }
        let first = v.first().copied();
        if let Some(e) = first {
            self.seen(&c.path(name), e);
        }
        first
    }

    fn required<'e>(&mut self, c: &Children<'_, 'e>, name: &str) -> Option<&'e Element> {
        let r = self.one(c, name);
        if r.is_none() {
            self.error(
                Code::MissingField,
                &c.path(name),
                c.el,
                format!("required element `{name}` is missing"),
            );
        }
        r
    }

    /// The required child `name` as `read` makes it, or `missing` (after an error).
    fn req<T>(
        &mut self,
        c: &Children<'_, '_>,
        name: &str,
        missing: T,
        read: impl FnOnce(&mut Self, &Element, &str) -> T,
    ) -> T {
        match self.required(c, name) {
            Some(e) => read(self, e, &c.path(name)),
            None => missing,
        }
    }

    /// The optional child `name` as `read` makes it.
    fn opt<T>(
        &mut self,
        c: &Children<'_, '_>,
        name: &str,
        read: impl FnOnce(&mut Self, &Element, &str) -> T,
    ) -> Option<T> {
        let e = self.one(c, name)?;
        Some(read(self, e, &c.path(name)))
    }

    /// Every child `name`, in order, as `read` makes it (paths `name[i]`).
    fn list<T>(
        &mut self,
        c: &Children<'_, '_>,
        name: &str,
        mut read: impl FnMut(&mut Self, &Element, &str) -> T,
    ) -> Vec<T> {
        let els: Vec<&Element> = c.by_name.get(name).cloned().unwrap_or_default();
        els.iter()
            .enumerate()
            .map(|(i, e)| {
                let p = format!("{}[{i}]", c.path(name));
                self.seen(&p, e);
                read(self, e, &p)
            })
            .collect()
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

    fn string(&mut self, c: &Children<'_, '_>, name: &str) -> Option<String> {
        self.opt(c, name, Self::leaf_text)
    }

    fn req_string(&mut self, c: &Children<'_, '_>, name: &str) -> String {
        self.req(c, name, String::new(), Self::leaf_text)
    }

    fn req_bool(&mut self, c: &Children<'_, '_>, name: &str) -> bool {
        self.req(c, name, false, |d, e, p| {
            d.parse_bool(e, p).unwrap_or(false)
        })
    }

    fn req_int(&mut self, c: &Children<'_, '_>, name: &str) -> i32 {
        self.req(c, name, 0, |d, e, p| {
            d.parse_int(e, p, "xsd:int").unwrap_or(0)
        })
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
