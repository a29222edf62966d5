//! vm-operator's network webhook rules (`validateNetwork`, `validateNetworkInterfaceSpec`,
//! `validateNetworkSpecWithBootStrap`, `validateNetworkVLANs`) and the CRD's schema rules.

use super::{Ctx, gates, iface_path, joined, pattern_detail};
use crate::diagnostic::{Code, Diagnostic, go_quote};
use crate::ip::{parse_cidr, parse_ip};
use crate::model::{ApiVersion, InterfaceSpec, Provider};
use crate::validate::NetworkProvider;
use std::collections::BTreeMap;

const MAX_INTERFACES: usize = 10;
const NIC_TYPES: &[&str] = &["VMXNet3", "SRIOV", "E1000", "E1000e", "VMXNet2", "PCNet32"];
/// `systemReservedNetworkDeviceProperties`: NIC keys only vSphere sets (exact, case-sensitive).
const RESERVED_ADV_KEYS: &[&str] = &[
    "address",
    "addresstype",
    "allowguestconnectioncontrol",
    "devname",
    "dvs.connectionid",
    "dvs.portgroupid",
    "dvs.portid",
    "dvs.switchid",
    "externalid",
    "filename",
    "generatedaddress",
    "key",
    "limit",
    "measurelatency",
    "migrateconnect",
    "name",
    "networkname",
    "opaquenetwork.id",
    "opaquenetwork.type",
    "present",
    "pxm",
    "realtime",
    "reservation",
    "rtdisableoffload",
    "rtmaxrxqueues",
    "rtmaxtxqueues",
    "rtrxdataringdescsize",
    "rttxdataringdescsize",
    "shares",
    "startconnected",
    "upt",
    "uptcompatibility",
    "virtualdev",
    "vnet",
    "wakeonpcktrcv",
];
/// The `vmx:"ethernet%d.<key>"` tags of `VirtualMachineNetworkInterfaceVMXNet3Spec`.
const VMXNET3_ADV_KEYS: &[&str] = &[
    "ctxPerDev",
    "rssoffload",
    "udpRSS",
    "pnicFeatures",
    "coalescingScheme",
    "coalescingParams",
];

/// `^ethernet\d+\.(.*)$` (case-sensitive, as the webhook's regexp): the bare key.
pub(super) fn ethernet_key(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("ethernet")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0).then(|| rest[digits..].strip_prefix('.'))?
}

fn is_name(s: &str) -> bool {
    s.len() >= 2
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

fn is_word2(s: &str) -> bool {
    s.len() >= 2 && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Kubernetes `IsDNS1123Subdomain`, returning its message.
fn dns1123_subdomain_error(s: &str) -> Option<String> {
    if s.len() > 253 {
        return Some("must be no more than 253 characters".into());
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if s.split('.').all(label_ok) {
        None
    } else {
        Some("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".into())
    }
}

pub(super) fn check(cx: &mut Ctx<'_>) {
    let Some(net) = cx.vm.network() else {
        return;
    };
    let provider = cx.vm.provider();
    let ci = provider == Provider::CloudInit;
    let ci_spec = cx.vm.cloud_init();
    for (i, ns) in net.nameservers.iter().enumerate() {
        if parse_ip(ns).is_none() {
            cx.push(Diagnostic::invalid(
                Code::InvalidNameserver,
                format!("spec.network.nameservers[{i}]"),
                ns,
                "must be an IPv4 or IPv6 address",
            ));
        }
    }
    if net.interfaces.len() > MAX_INTERFACES {
        cx.push(
            Diagnostic::new(
                Code::TooManyInterfaces,
                "spec.network.interfaces",
                format!(
                    "Too many: {}: must have at most {MAX_INTERFACES} items",
                    net.interfaces.len()
                ),
            )
            .with_help(
                "a vSphere virtual machine may not have more than 10 virtual ethernet card devices",
            ),
        );
    }
    // Global DNS × bootstrap (validateNetworkSpecWithBootStrap).
    let lp_or_sp = matches!(provider, Provider::LinuxPrep | Provider::Sysprep);
    for (values, field, flag) in [
        (
            &net.nameservers,
            "nameservers",
            ci_spec.and_then(|c| c.use_global_nameservers_as_default),
        ),
        (
            &net.search_domains,
            "searchDomains",
            ci_spec.and_then(|c| c.use_global_search_domains_as_default),
        ),
    ] {
        if values.is_empty() {
            continue;
        }
        let path = format!("spec.network.{field}");
        if ci && flag == Some(false) {
            let which = if field == "nameservers" {
                "UseGlobalNameserversAsDefault"
            } else {
                "UseGlobalSearchDomainsAsDefault"
            };
            cx.push(Diagnostic::invalid(
                Code::GlobalDns,
                path,
                &joined(values),
                &format!("{field} is available only for CloudInit when {which} is true"),
            ));
        } else if !ci && !lp_or_sp {
            cx.push(
                Diagnostic::invalid(
                    Code::GlobalDns,
                    path,
                    &joined(values),
                    &format!("{field} is available only with the following bootstrap providers: LinuxPrep and Sysprep"),
                )
                .with_help("vm-operator rejects this even without a bootstrap section (where Linux guests implicitly use LinuxPrep); add spec.bootstrap.linuxPrep"),
            );
        }
    }
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, iface) in net.interfaces.iter().enumerate() {
        if !iface.name.is_empty() && names.insert(&iface.name, i).is_some() {
            cx.push(Diagnostic::new(
                Code::InterfaceName,
                iface_path(i),
                format!("Duplicate value: {{\"name\":{}}}", go_quote(&iface.name)),
            ));
        }
        check_interface(cx, i, iface, provider);
    }
    if !net.vlans.is_empty() {
        check_vlans(cx, provider);
    }
}

fn check_interface(cx: &mut Ctx<'_>, i: usize, iface: &InterfaceSpec, provider: Provider) {
    let p = iface_path(i);
    let ci = provider == Provider::CloudInit;
    if iface.name.is_empty() {
        cx.push(Diagnostic::required(
            Code::InterfaceName,
            format!("{p}.name"),
            "",
        ));
    } else {
        if !is_name(&iface.name) {
            cx.push(
                Diagnostic::invalid(
                    Code::InterfaceName,
                    format!("{p}.name"),
                    &iface.name,
                    &pattern_detail(&format!("{p}.name"), "^[a-z0-9]{2,}$"),
                )
                .with_help("lower-case letters and digits only, at least 2; the guest device name can differ (guestDeviceName)"),
            );
        }
        let net_name = iface
            .network
            .as_ref()
            .map(|n| n.name.as_str())
            .unwrap_or("");
        let vm = cx.vm.name();
        let cr = if net_name.is_empty() {
            format!("{vm}-{}", iface.name)
        } else {
            format!("{vm}-{net_name}-{}", iface.name)
        };
        if let Some(msg) = dns1123_subdomain_error(&cr) {
            cx.push(Diagnostic::invalid(
                Code::InterfaceResourceName,
                format!("{p}.name"),
                &cr,
                &format!("is the resulting network interface name: {msg}"),
            ));
        }
    }
    if let Some(net) = &iface.network
        && net.name.is_empty()
    {
        cx.push(Diagnostic::required(
            Code::MissingField,
            format!("{p}.network.name"),
            "",
        ));
    }
    let group = network_group(cx, &p, iface);
    if let Some(g) = &iface.guest_device_name
        && !is_word2(g)
    {
        cx.push(Diagnostic::invalid(
            Code::GuestDeviceName,
            format!("{p}.guestDeviceName"),
            g,
            &pattern_detail(&format!("{p}.guestDeviceName"), "^\\w\\w+$"),
        ));
    }
    if let Some(mac) = &iface.mac_addr {
        if crate::ip::parse_mac(mac).is_none() {
            cx.push(Diagnostic::invalid(
                Code::MacAddress,
                format!("{p}.macAddr"),
                mac,
                &pattern_detail(
                    &format!("{p}.macAddr"),
                    "^([0-9A-Fa-f]{2}:){5}([0-9A-Fa-f]{2})$",
                ),
            ));
        }
        check_mac_provider(cx, &p, mac, group.as_deref());
    }
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    for (j, a) in iface.addresses.iter().enumerate() {
        match parse_cidr(a) {
            Ok(c) if c.is_ipv4() => v4.push(a.as_str()),
            Ok(_) => v6.push(a.as_str()),
            Err(e) => cx.push(
                Diagnostic::invalid(Code::InvalidCidr, format!("{p}.addresses[{j}]"), a, &e)
                    .with_help("addresses are CIDRs: an address with its prefix length, e.g. 192.168.1.10/24"),
            ),
        }
    }
    check_gateway(cx, &p, "4", iface.gateway4.as_deref(), iface.dhcp4, &v4);
    check_gateway(cx, &p, "6", iface.gateway6.as_deref(), iface.dhcp6, &v6);
    for (j, ns) in iface.nameservers.iter().enumerate() {
        if parse_ip(ns).is_none() {
            cx.push(Diagnostic::invalid(
                Code::InvalidNameserver,
                format!("{p}.nameservers[{j}]"),
                ns,
                "must be an IPv4 or IPv6 address",
            ));
        }
    }
    for (j, r) in iface.routes.iter().enumerate() {
        let rp = format!("{p}.routes[{j}]");
        let to = if r.to.is_empty() {
            cx.push(Diagnostic::required(
                Code::MissingField,
                format!("{rp}.to"),
                "",
            ));
            None
        } else if r.to == "default" {
            None
        } else {
            match parse_cidr(&r.to) {
                Ok(c) => Some(c),
                Err(e) => {
                    let mut d = Diagnostic::invalid(Code::RouteTo, format!("{rp}.to"), &r.to, &e);
                    if let Some(ip) = parse_ip(&r.to) {
                        let len = if ip.is_ipv4() { 32 } else { 128 };
                        d = d.with_help(format!("a route destination is `default` or a CIDR; for one host write {}/{len}", r.to));
                    }
                    cx.push(d);
                    None
                }
            }
        };
        let via = if r.via.is_empty() {
            cx.push(Diagnostic::required(
                Code::MissingField,
                format!("{rp}.via"),
                "",
            ));
            None
        } else {
            let v = parse_ip(&r.via);
            if v.is_none() {
                cx.push(Diagnostic::invalid(
                    Code::RouteVia,
                    format!("{rp}.via"),
                    &r.via,
                    "must be an IPv4 or IPv6 address",
                ));
            }
            v
        };
        // The webhook compares families whenever `to` parsed: an unparsable `via` counts as
        // not IPv4, so `10.0.0.0/8 via junk` is a family error as well as a `via` error.
        // A missing `via` never reaches the webhook: the CRD requires it (GN006 above).
        if let Some(to) = to
            && !r.via.is_empty()
            && to.is_ipv4() != via.is_some_and(|v| v.is_ipv4())
        {
            cx.push(Diagnostic::invalid(
                Code::RouteFamily,
                rp.clone(),
                "",
                "cannot mix IP address families",
            ));
        }
        if let Some(m) = r.metric
            && m < 1
        {
            cx.push(Diagnostic::invalid_int(
                Code::RouteMetric,
                format!("{rp}.metric"),
                m,
                &format!("{rp}.metric in body should be greater than or equal to 1"),
            ));
        }
    }
    // Interface fields × bootstrap provider (validateNetworkInterfaceSpecWithBootstrap).
    if !ci {
        if let Some(g) = &iface.guest_device_name {
            cx.push(Diagnostic::invalid(Code::ProviderFeature, format!("{p}.guestDeviceName"), g,
                "guestDeviceName is available only with the following bootstrap providers: CloudInit"));
        }
        if let Some(m) = iface.mtu {
            cx.push(Diagnostic::invalid_int(
                Code::ProviderFeature,
                format!("{p}.mtu"),
                m,
                "mtu is available only with the following bootstrap providers: CloudInit",
            ));
        }
        if !iface.routes.is_empty() {
            cx.push(Diagnostic::invalid(
                Code::ProviderFeature,
                format!("{p}.routes"),
                "routes",
                "routes is available only with the following bootstrap providers: CloudInit",
            ));
        }
        if !iface.search_domains.is_empty() {
            cx.push(Diagnostic::invalid(
                Code::ProviderFeature,
                format!("{p}.searchDomains"),
                &joined(&iface.search_domains),
                "searchDomains is available only with the following bootstrap providers: CloudInit",
            ));
        }
        if !iface.nameservers.is_empty() && provider != Provider::Sysprep {
            cx.push(Diagnostic::invalid(Code::ProviderFeature, format!("{p}.nameservers"), &joined(&iface.nameservers),
                "nameservers is available only with the following bootstrap providers: CloudInit and Sysprep")
                .with_help("LinuxPrep reads DNS only from spec.network.nameservers"));
        }
    }
    if cx.version == ApiVersion::V1alpha6 {
        check_v1alpha6_interface(cx, &p, iface);
    }
}

fn check_gateway(
    cx: &mut Ctx<'_>,
    p: &str,
    fam: &str,
    gw: Option<&str>,
    dhcp: Option<bool>,
    addrs: &[&str],
) {
    let dhcp_on = dhcp == Some(true);
    // Written only for a finding (most interfaces have none).
    let path = || format!("{p}.gateway{fam}");
    if dhcp_on && !addrs.is_empty() {
        cx.push(
            Diagnostic::invalid(
                Code::DhcpWithStatic,
                format!("{p}.dhcp{fam}"),
                &addrs.join(","),
                &format!("dhcp{fam} cannot be used with IPv{fam} addresses in addresses field"),
            )
            .with_help(format!(
                "either remove the IPv{fam} addresses or set dhcp{fam}: false"
            )),
        );
    }
    let Some(gw) = gw.filter(|g| !g.is_empty()) else {
        return;
    };
    if dhcp_on {
        cx.push(Diagnostic::invalid(
            Code::DhcpWithGateway,
            path(),
            gw,
            &format!("gateway{fam} is mutually exclusive with dhcp{fam}"),
        ));
    }
    if gw == "None" {
        return;
    }
    let code = if fam == "4" {
        Code::Gateway4
    } else {
        Code::Gateway6
    };
    if addrs.is_empty() {
        cx.push(Diagnostic::invalid(
            code,
            path(),
            gw,
            &format!("gateway{fam} must have an IPv{fam} address in the addresses field"),
        ));
    }
    let ok = parse_ip(gw).is_some_and(|ip| ip.is_ipv4() == (fam == "4"));
    if !ok {
        cx.push(Diagnostic::invalid(
            code,
            path(),
            gw,
            &format!("must be a valid IPv{fam} address"),
        ));
    }
}

/// The API group vm-operator's networks live in, per provider, with the apiVersion the
/// webhook lists and the kinds it accepts (`networkProviderValidations`).
const PROVIDERS: &[(NetworkProvider, &str, &str, &[&str])] = &[
    (
        NetworkProvider::Vds,
        "netoperator.vmware.com",
        "netoperator.vmware.com/v1alpha1",
        &["Network"],
    ),
    (
        NetworkProvider::Nsxt,
        "vmware.com",
        "vmware.com/v1alpha1",
        &["VirtualNetwork"],
    ),
    (
        NetworkProvider::Vpc,
        VPC_GROUP,
        "crd.nsx.vmware.com/v1alpha1",
        &["Subnet", "SubnetSet"],
    ),
];

/// The only network API group the webhook accepts `macAddr` on (`macAddressSupportNetworkGroups`).
const VPC_GROUP: &str = "crd.nsx.vmware.com";

/// Kubernetes `schema.ParseGroupVersion`: `""` and `"/"` are empty, `v1` has no group,
/// `g/v` splits, more slashes are an error.
fn parse_group_version(s: &str) -> Result<(&str, &str), String> {
    if s.is_empty() || s == "/" {
        return Ok(("", ""));
    }
    match s.matches('/').count() {
        0 => Ok(("", s)),
        1 => Ok(s.split_once('/').unwrap_or(("", s))),
        _ => Err(format!("unexpected GroupVersion string: {s}")),
    }
}

/// Checks `network.apiVersion`/`kind` as `validateNetworkInterfaceSpec` does and returns the
/// network's API group when one is given.
fn network_group(cx: &mut Ctx<'_>, p: &str, iface: &InterfaceSpec) -> Option<String> {
    let net = iface.network.as_ref()?;
    let api = net.api_version.as_deref().filter(|a| !a.is_empty())?;
    let (group, version) = match parse_group_version(api) {
        Ok(gv) => gv,
        Err(e) => {
            cx.push(Diagnostic::invalid(
                Code::NetworkApiVersion,
                format!("{p}.network.apiVersion"),
                api,
                &e,
            ));
            return Some(String::new());
        }
    };
    let kind = net.kind.as_deref().unwrap_or("");
    if !group.is_empty() && !kind.is_empty() {
        check_network_ref(cx, p, group, version, kind);
    }
    Some(group.to_string())
}

/// `validateNetworkInterfaceNetworkRef`: the group must belong to one of the namespace's
/// providers (primary, then legacy), the kind to that group's provider. Without
/// `--provider` the candidates are all three and a mismatch is a warning: a cluster with
/// named networks accepts any group.
fn check_network_ref(cx: &mut Ctx<'_>, p: &str, group: &str, version: &str, kind: &str) {
    let wanted: Vec<NetworkProvider> = match cx.opts.provider {
        Some(primary) => std::iter::once(primary)
            .chain(cx.opts.legacy_provider.filter(|l| *l != primary))
            .collect(),
        None => PROVIDERS.iter().map(|(prov, ..)| *prov).collect(),
    };
    let candidates: Vec<_> = wanted
        .iter()
        .filter_map(|w| PROVIDERS.iter().find(|(prov, ..)| prov == w))
        .collect();
    let Some((_, _, _, kinds)) = candidates.iter().find(|(_, g, _, _)| *g == group) else {
        let supported: Vec<String> = candidates
            .iter()
            .map(|(_, _, api, _)| go_quote(api))
            .collect();
        cx.push(
            Diagnostic::new(
                Code::NetworkProvider,
                format!("{p}.network.apiVersion"),
                format!(
                    "Unsupported value: {}: supported values: {}",
                    go_quote(&format!("{group}/{version}")),
                    supported.join(", ")
                ),
            )
            .with_severity(cx.provider_severity()),
        );
        return;
    };
    if !kinds.contains(&kind) {
        let supported: Vec<String> = kinds.iter().map(|k| go_quote(k)).collect();
        cx.push(
            Diagnostic::new(
                Code::NetworkProvider,
                format!("{p}.network.kind"),
                format!(
                    "Unsupported value: {}: supported values: {}",
                    go_quote(kind),
                    supported.join(", ")
                ),
            )
            .with_severity(cx.provider_severity()),
        );
    }
}

/// `macAddr` only on VPC networks. An explicit `network.apiVersion` decides whatever the
/// provider; without one the mutating webhook fills in the provider's group, which only
/// `--provider` tells us.
fn check_mac_provider(cx: &mut Ctx<'_>, p: &str, mac: &str, group: Option<&str>) {
    const DETAIL: &str =
        "macAddr is available only with the following network providers: crd.nsx.vmware.com";
    let help = "vm-operator accepts macAddr only on VPC networks (network.apiVersion crd.nsx.vmware.com/...); guestnet's own targets can derive stable MACs instead (--mac-policy derive)";
    match group {
        Some(g) if g != VPC_GROUP => cx.push(
            Diagnostic::invalid(Code::MacAddrNetwork, format!("{p}.macAddr"), mac, DETAIL)
                .with_help(help),
        ),
        Some(_) => {}
        None if cx.opts.provider == Some(NetworkProvider::Vpc) => {}
        None => cx.push(
            Diagnostic::invalid(Code::NetworkProvider, format!("{p}.macAddr"), mac, DETAIL)
                .with_severity(cx.provider_severity())
                .with_help(format!("{help}; without network.apiVersion the cluster's provider decides (pass --provider vpc when that is your provider)")),
        ),
    }
}

fn check_v1alpha6_interface(cx: &mut Ctx<'_>, p: &str, iface: &InterfaceSpec) {
    if let Some(t) = &iface.nic_type
        && !NIC_TYPES.contains(&t.as_str())
    {
        let list: Vec<String> = NIC_TYPES.iter().map(|t| format!("\"{t}\"")).collect();
        cx.push(Diagnostic::new(
            Code::Vmxnet3,
            format!("{p}.type"),
            format!(
                "Unsupported value: \"{t}\": supported values: {}",
                list.join(", ")
            ),
        ));
    }
    if let Some(n) = iface.vnuma_node_id
        && n < 0
    {
        cx.push(Diagnostic::invalid_int(
            Code::IpamModes,
            format!("{p}.vnumaNodeID"),
            n,
            &format!("{p}.vnumaNodeID in body should be greater than or equal to 0"),
        ));
    }
    if iface.ipam_modes.len() > 2 {
        cx.push(Diagnostic::new(
            Code::IpamModes,
            format!("{p}.ipamModes"),
            format!(
                "Too many: {}: must have at most 2 items",
                iface.ipam_modes.len()
            ),
        ));
    }
    if iface.ipam_modes.iter().any(|m| m != "IPv4" && m != "IPv6") {
        cx.push(Diagnostic::invalid(
            Code::IpamModes,
            format!("{p}.ipamModes"),
            &joined(&iface.ipam_modes),
            "each ipamModes entry must be IPv4 or IPv6",
        ));
    }
    if !iface.ipam_modes.is_empty() && !cx.opts.features.workload_ipv6 {
        cx.push(Diagnostic::forbidden(
            Code::FeatureGate,
            format!("{p}.ipamModes"),
            &gates::not_enabled("WorkloadIPv6"),
        ));
    }
    if let Some(v) = &iface.vmxnet3 {
        // The mutating webhook defaults `type` to VMXNet3 only under TelcoVMServiceAPI.
        let default_type = if cx.opts.features.telco_api {
            "VMXNet3"
        } else {
            ""
        };
        if iface.nic_type.as_deref().unwrap_or(default_type) != "VMXNet3" {
            cx.push(Diagnostic::forbidden(
                Code::Vmxnet3,
                format!("{p}.vmxnet3"),
                "vmxnet3 configuration is only allowed when type is VMXNet3",
            ));
        } else {
            check_vmxnet3(cx, p, v);
        }
    }
    if cx.opts.features.telco_api {
        check_advanced_properties(cx, p, iface);
    }
}

/// `validateVMXNet3Spec`.
fn check_vmxnet3(cx: &mut Ctx<'_>, p: &str, v: &crate::model::Vmxnet3Spec) {
    for (j, f) in v.pnic_features.iter().enumerate() {
        // `isPowerOf2String`: strconv.Atoi, then n > 0 && n&(n-1) == 0.
        let ok = matches!(f.as_str(), "LargeReceiveOffload" | "ReceiveSideScaling")
            || f.parse::<i64>().is_ok_and(|n| n > 0 && n & (n - 1) == 0);
        if !ok {
            cx.push(Diagnostic::invalid(
                Code::Vmxnet3,
                format!("{p}.vmxnet3.pnicFeatures[{j}]"),
                f,
                "must be a known enum value (LargeReceiveOffload, ReceiveSideScaling) or a power-of-2 integer (1,2,4,8,16,32,...)",
            ));
        }
    }
    if v.coalescing_scheme.as_deref() == Some("RateBasedCoalescing")
        && let Some(params) = v.coalescing_params.as_deref()
        && params.parse::<u32>().is_err()
    {
        cx.push(Diagnostic::invalid(
            Code::Vmxnet3,
            format!("{p}.vmxnet3.coalescingParams"),
            params,
            "must be a valid 32-bit unsigned integer when coalescingScheme is RateBasedCoalescing",
        ));
    }
}

/// `validateNetworkInterfaceAdvancedProperties`, exactly (case-sensitive, first-class keys
/// before the device prefix before reserved keys), then GN224 for the spellings the webhook
/// lets through but ESXi, whose VMX keys ignore case, reads as the same key.
fn check_advanced_properties(cx: &mut Ctx<'_>, p: &str, iface: &InterfaceSpec) {
    for (j, kv) in iface.advanced_properties.iter().enumerate() {
        let path = format!("{p}.advancedProperties[{j}].key");
        let key = kv.key.as_str();
        let bare = ethernet_key(key).unwrap_or(key);
        let detail = if VMXNET3_ADV_KEYS.contains(&bare) {
            Some(
                "use the corresponding first-class field in spec.network.interfaces[].vmxnet3 instead",
            )
        } else if ethernet_key(key).is_some() {
            Some("use the bare key name without the network device prefix")
        } else if RESERVED_ADV_KEYS.contains(&key) {
            Some("this key is reserved for the system")
        } else {
            None
        };
        if let Some(detail) = detail {
            cx.push(Diagnostic::forbidden(
                Code::Vmxnet3,
                path,
                &format!("{key}: {detail}"),
            ));
            continue;
        }
        let lower = key.to_ascii_lowercase();
        let lower_bare = ethernet_key(&lower).unwrap_or(&lower);
        let clash = if VMXNET3_ADV_KEYS
            .iter()
            .any(|k| k.eq_ignore_ascii_case(lower_bare))
        {
            Some("the first-class field in spec.network.interfaces[].vmxnet3")
        } else if ethernet_key(&lower).is_some() {
            Some("a key of another network device (ethernetN.)")
        } else if RESERVED_ADV_KEYS.contains(&lower.as_str()) {
            Some("a key reserved for the system")
        } else {
            None
        };
        if let Some(what) = clash {
            cx.push(
                Diagnostic::invalid(
                    Code::VmxKeyCase,
                    path,
                    key,
                    &format!("VMX keys ignore case, so ESXi reads this as {what}"),
                )
                .with_help("vm-operator compares these keys case-sensitively and lets this spelling through; the VM would get a conflicting VMX entry"),
            );
        }
    }
}

fn check_vlans(cx: &mut Ctx<'_>, provider: Provider) {
    let Some(net) = cx.vm.network() else { return };
    // The CRD's schema rules run in the apiserver before the webhook, whatever the gates.
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, v) in net.vlans.iter().enumerate() {
        let p = format!("spec.network.vlans[{i}]");
        if v.name.is_empty() {
            cx.push(Diagnostic::required(Code::Vlan, format!("{p}.name"), ""));
        } else {
            let ok_pattern = v
                .name
                .bytes()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
                && v.name
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'));
            if v.name.len() > 15 {
                cx.push(
                    Diagnostic::new(
                        Code::Vlan,
                        format!("{p}.name"),
                        "Too long: may not be more than 15 bytes",
                    )
                    .with_help("Linux interface names are at most 15 bytes (IFNAMSIZ)"),
                );
            }
            if !ok_pattern {
                cx.push(Diagnostic::invalid(
                    Code::Vlan,
                    format!("{p}.name"),
                    &v.name,
                    &pattern_detail(&format!("{p}.name"), "^[a-zA-Z0-9][a-zA-Z0-9._-]*$"),
                ));
            }
            if names.insert(&v.name, i).is_some() {
                cx.push(Diagnostic::new(
                    Code::Vlan,
                    p.clone(),
                    format!("Duplicate value: {{\"name\":{}}}", go_quote(&v.name)),
                ));
            }
        }
        match v.id {
            None => cx.push(Diagnostic::required(Code::Vlan, format!("{p}.id"), "")),
            Some(id) if !(0..=4094).contains(&id) => cx.push(Diagnostic::invalid_int(
                Code::Vlan,
                format!("{p}.id"),
                id,
                &format!(
                    "{p}.id in body should be {} {}",
                    if id < 0 {
                        "greater than or equal to"
                    } else {
                        "less than or equal to"
                    },
                    if id < 0 { 0 } else { 4094 }
                ),
            )),
            Some(_) => {}
        }
    }
    // `validateNetworkVLANs`: the gate, then the bootstrap, then the references.
    if !cx.opts.features.vlan_subinterface {
        cx.push(Diagnostic::forbidden(
            Code::FeatureGate,
            "spec.network.vlans",
            &gates::not_enabled("VLAN Sub Interface"),
        ));
        return;
    }
    if provider != Provider::CloudInit {
        cx.push(Diagnostic::forbidden(
            Code::Vlan,
            "spec.network.vlans",
            "vlans is available only with the following bootstrap providers: CloudInit",
        ));
        return;
    }
    let mut seen: BTreeMap<(&str, i64), &str> = BTreeMap::new();
    for (i, v) in net.vlans.iter().enumerate() {
        let p = format!("spec.network.vlans[{i}]");
        if net.interfaces.iter().any(|f| f.name == v.name) {
            cx.push(Diagnostic::invalid(
                Code::Vlan,
                format!("{p}.name"),
                &v.name,
                "vlan name must not conflict with an interface name",
            ));
        }
        if net.interfaces.iter().any(|f| {
            f.guest_device_name
                .as_deref()
                .is_some_and(|g| !g.is_empty() && g == v.name)
        }) {
            cx.push(Diagnostic::invalid(
                Code::Vlan,
                format!("{p}.name"),
                &v.name,
                "vlan name must not conflict with an interface guestDeviceName",
            ));
        }
        if v.link.is_empty() {
            cx.push(Diagnostic::required(
                Code::Vlan,
                format!("{p}.link"),
                "link must reference an interface name",
            ));
            continue;
        }
        if !net.interfaces.iter().any(|f| f.name == v.link) {
            cx.push(Diagnostic::invalid(
                Code::Vlan,
                format!("{p}.link"),
                &v.link,
                "link must reference an existing interface name",
            ));
            continue;
        }
        let id = v.id.unwrap_or(0);
        match seen.get(&(v.link.as_str(), id)) {
            Some(prev) => cx.push(Diagnostic::invalid_int(
                Code::Vlan,
                format!("{p}.id"),
                id,
                &format!(
                    "VLAN ID {id} is already used by VLAN {} on the same parent link {}",
                    go_quote(prev),
                    go_quote(&v.link)
                ),
            )),
            None => {
                seen.insert((v.link.as_str(), id), v.name.as_str());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::validate::NetworkProvider;
    use crate::validate::test_util::{HEAD, ci, run};

    #[test]
    fn g8_interface_messages() {
        let r = run(&ci(
            "    - name: eth0\n      dhcp4: true\n      addresses: [192.168.1.100/24]\n      gateway4: 192.168.1.1\n",
        ));
        assert_eq!(
            r,
            vec![
                "GN107 spec.network.interfaces[0].dhcp4: Invalid value: \"192.168.1.100/24\": dhcp4 cannot be used with IPv4 addresses in addresses field",
                "GN108 spec.network.interfaces[0].gateway4: Invalid value: \"192.168.1.1\": gateway4 is mutually exclusive with dhcp4",
            ]
        );
        let r = run(&ci(
            "    - name: eth0\n      addresses: [192.168.1.100/24, 1.1.1.1]\n      gateway4: 192.168.1.1\n",
        ));
        assert_eq!(
            r,
            vec![
                "GN104 spec.network.interfaces[0].addresses[1]: Invalid value: \"1.1.1.1\": invalid CIDR address: 1.1.1.1"
            ]
        );
        let r = run(&ci(
            "    - name: eth0\n      addresses: [192.168.1.100/24]\n      gateway4: 192.168.1.1\n      gateway6: 192.168.1.1\n",
        ));
        assert_eq!(
            r,
            vec![
                "GN106 spec.network.interfaces[0].gateway6: Invalid value: \"192.168.1.1\": gateway6 must have an IPv6 address in the addresses field",
                "GN106 spec.network.interfaces[0].gateway6: Invalid value: \"192.168.1.1\": must be a valid IPv6 address",
            ]
        );
        let r = run(&ci(
            "    - name: eth0\n      dhcp4: true\n      routes:\n      - {to: 10.100.10.1, via: 10.0.0.1}\n      - {to: default, via: 10.0.0.1}\n      - {to: 10.0.0.0/8, via: \"fe80::1\"}\n",
        ));
        assert_eq!(
            r,
            vec![
                "GN111 spec.network.interfaces[0].routes[0].to: Invalid value: \"10.100.10.1\": invalid CIDR address: 10.100.10.1",
                "GN113 spec.network.interfaces[0].routes[2]: Invalid value: \"\": cannot mix IP address families",
            ]
        );
    }

    #[test]
    fn go_parse_ip_semantics() {
        // An IPv4-mapped gateway4 is IPv4 to Go's net.ParseIP (To4() != nil).
        let r = run(&ci(
            "    - name: eth0\n      addresses: [192.168.1.10/24]\n      gateway4: \"::ffff:192.168.1.1\"\n",
        ));
        assert!(r.is_empty(), "{r:?}");
        // `to` parsed and `via` did not: the webhook reports the family too.
        let r = run(&ci(
            "    - name: eth0\n      dhcp4: true\n      routes: [{to: 10.0.0.0/8, via: junk}]\n",
        ));
        assert_eq!(
            r,
            vec![
                "GN112 spec.network.interfaces[0].routes[0].via: Invalid value: \"junk\": must be an IPv4 or IPv6 address",
                "GN113 spec.network.interfaces[0].routes[0]: Invalid value: \"\": cannot mix IP address families",
            ]
        );
    }

    #[test]
    fn macaddr_follows_the_interfaces_own_network_group() {
        let vpc = "crd.nsx.vmware.com/v1alpha1";
        for (api, provider, want) in [
            (Some(vpc), None, None),
            (
                Some("netoperator.vmware.com/v1alpha1"),
                Some(NetworkProvider::Vpc),
                Some("GN144 error"),
            ),
            (Some("v1"), Some(NetworkProvider::Vpc), Some("GN144 error")),
            (None, Some(NetworkProvider::Vpc), None),
            (None, None, Some("GN142 warning")),
            (None, Some(NetworkProvider::Vds), Some("GN142 error")),
        ] {
            let net = api
                .map(|a| format!(", network: {{apiVersion: {a}, name: n1}}"))
                .unwrap_or_default();
            let y = ci(&format!(
                "    - {{name: eth0, dhcp4: true, macAddr: \"00:50:56:00:00:01\"{net}}}\n"
            ));
            let vm = crate::validate::test_util::vm(&y);
            let opts = crate::validate::ValidateOptions {
                provider,
                ..Default::default()
            };
            let got: Vec<String> =
                crate::validate::validate(&vm, crate::model::ApiVersion::V1alpha6, &[], &opts)
                    .iter()
                    .filter(|d| d.path.ends_with(".macAddr"))
                    .map(|d| format!("{} {}", d.code, d.severity))
                    .collect();
            assert_eq!(
                got,
                want.into_iter().map(String::from).collect::<Vec<_>>(),
                "{api:?} {provider:?}"
            );
        }
    }

    #[test]
    fn g8_provider_messages() {
        let lp = format!(
            "{HEAD}spec:\n  bootstrap: {{linuxPrep: {{}}}}\n  network:\n    interfaces:\n    - name: eth0\n      dhcp4: true\n      mtu: 9000\n      guestDeviceName: mydev\n"
        );
        assert_eq!(
            run(&lp),
            vec![
                "GN117 spec.network.interfaces[0].guestDeviceName: Invalid value: \"mydev\": guestDeviceName is available only with the following bootstrap providers: CloudInit",
                "GN117 spec.network.interfaces[0].mtu: Invalid value: 9000: mtu is available only with the following bootstrap providers: CloudInit",
            ]
        );
    }

    #[test]
    fn global_dns_without_bootstrap_is_rejected_like_the_webhook() {
        let r = run(&format!(
            "{HEAD}spec:\n  network:\n    nameservers: [8.8.8.8]\n"
        ));
        assert_eq!(
            r,
            vec![
                "GN118 spec.network.nameservers: Invalid value: \"8.8.8.8\": nameservers is available only with the following bootstrap providers: LinuxPrep and Sysprep"
            ]
        );
        let r = run(&format!(
            "{HEAD}spec:\n  bootstrap: {{cloudInit: {{useGlobalSearchDomainsAsDefault: false}}}}\n  network:\n    searchDomains: [a.com]\n"
        ));
        assert_eq!(
            r,
            vec![
                "GN118 spec.network.searchDomains: Invalid value: \"a.com\": searchDomains is available only for CloudInit when UseGlobalSearchDomainsAsDefault is true"
            ]
        );
    }

    #[test]
    fn eleven_interfaces() {
        let ifaces: String = (0..11).map(|i| format!("    - name: eth{i}\n")).collect();
        let r = run(&ci(&ifaces));
        assert!(
            r.iter()
                .any(|l| l.starts_with("GN101 spec.network.interfaces: Too many: 11")),
            "{r:?}"
        );
    }

    #[test]
    fn vlans() {
        let y = format!(
            "{HEAD}spec:\n  bootstrap: {{cloudInit: {{}}}}\n  network:\n    interfaces:\n    - {{name: eth0, dhcp4: true}}\n    vlans:\n    - {{name: vlan100, id: 100, link: eth0}}\n    - {{name: vlan101, id: 100, link: eth0}}\n    - {{name: eth0, id: 5000, link: eth9}}\n"
        );
        let r = run(&y);
        assert_eq!(
            r,
            vec![
                "GN140 spec.network.vlans[2].id: Invalid value: 5000: spec.network.vlans[2].id in body should be less than or equal to 4094",
                "GN140 spec.network.vlans[1].id: Invalid value: 100: VLAN ID 100 is already used by VLAN \"vlan100\" on the same parent link \"eth0\"",
                "GN140 spec.network.vlans[2].name: Invalid value: \"eth0\": vlan name must not conflict with an interface name",
                "GN140 spec.network.vlans[2].link: Invalid value: \"eth9\": link must reference an existing interface name",
            ]
        );
    }
}
